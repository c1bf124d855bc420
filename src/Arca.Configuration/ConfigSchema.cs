namespace Arca.Configuration;

/// <summary>
/// Every key <c>registry.toml</c> accepts. The one list that validation, <c>arca config show</c>,
/// environment mapping and the README reference are built from.
/// </summary>
public static class ConfigSchema
{
    public static IReadOnlyList<ConfigKey> Keys { get; } =
    [
        new("mode", ConfigValueKind.String, "origin",
            "origin (authoritative, accepts writes), seeder or edge (read-through caches of `upstream`)")
        {
            Allowed = ["origin", "seeder", "edge"],
        },
        new("upstream", ConfigValueKind.String, "",
            "seeder/edge: the control-plane URL of the tier above (an origin or another seeder/edge), e.g. http://origin:8700"),
        new("data_dir", ConfigValueKind.String, "",
            "data directory; empty = /var/lib/arca for root, else $XDG_DATA_HOME/arca or ~/.local/share/arca"),
        new("server.control_listen", ConfigValueKind.String, "0.0.0.0:8700",
            "control plane (JSON API) listen address, host:port"),
        new("server.data_listen", ConfigValueKind.String, "0.0.0.0:8701",
            "data plane (blob bytes) listen address, host:port"),
        new("server.max_body_bytes", ConfigValueKind.Integer, "1048576",
            "largest JSON request body accepted on the control plane, in bytes") { Min = 1024 },
        new("server.resolve_max_age_seconds", ConfigValueKind.Integer, "2",
            "Cache-Control max-age of alias resolves; short, so a promotion is seen quickly") { Min = 0 },
        new("server.long_poll_max_seconds", ConfigValueKind.Integer, "60",
            "longest wait a client may ask of GET /v1/events?wait=") { Min = 0 },
        new("server.data_public_url", ConfigValueKind.String, "",
            "base URL of the data plane put into download URLs; empty = the request's host with the data_listen port"),
        new("server.data_tcp_congestion", ConfigValueKind.String, "cubic",
            "TCP congestion control of data-plane connections (TCP_CONGESTION); \"\" = the kernel's default. cubic shares a "
            + "tier's uplink fairly among the tiers and nodes it feeds"),
        new("server.presign_max_ttl_seconds", ConfigValueKind.Integer, "86400",
            "longest lifetime a presigned download URL may ask for (?ttl=)") { Min = 1 },
        new("storage.chunk_min_bytes", ConfigValueKind.Integer, "262144",
            "smallest content-defined chunk (FastCDC)") { Min = 64 },
        new("storage.chunk_avg_bytes", ConfigValueKind.Integer, "1048576",
            "target average chunk size, a power of two") { Min = 128 },
        new("storage.chunk_max_bytes", ConfigValueKind.Integer, "4194304",
            "largest chunk") { Min = 256 },
        new("storage.pack_seal_bytes", ConfigValueKind.Integer, "1073741824",
            "a pack file takes no new segments once it is this large") { Min = 1 << 20 },
        new("storage.index_memory_bytes", ConfigValueKind.Integer, "1073741824",
            "memory the chunk index keeps its entries in (56 bytes per chunk, allocated as the store grows; a power of two, rounded down); entries beyond it are read from disk, 20-40x slower per lookup") { Min = 1 << 22 },
        new("uploads.session_ttl_seconds", ConfigValueKind.Integer, "3600",
            "an upload session idle this long expires and its spool is removed") { Min = 1 },
        new("tier.upstream_token", ConfigValueKind.String, "",
            "seeder/edge: token (read role) this tier presents upstream for metadata, events and chunk fetches"),
        new("tier.upstream_data_url", ConfigValueKind.String, "",
            "seeder/edge: the upstream's data-plane base URL; empty = the data_url the upstream reports in /healthz"),
        new("tier.fetch_concurrency", ConfigValueKind.Integer, "8",
            "seeder/edge: fetches in flight to the upstream (ranged runs of chunks or single chunks); readers are kept up to 8x this many chunks ahead") { Min = 1 },
        new("tier.resolve_ttl_seconds", ConfigValueKind.Integer, "30",
            "seeder/edge: how long an alias resolve is cached (upstream events refresh it sooner)") { Min = 0 },
        new("tier.max_stale_seconds", ConfigValueKind.Integer, "3600",
            "seeder/edge: with the upstream unreachable, serve the last known resolve for this long (Age + Warning headers)") { Min = 0 },
        new("tier.fill_timeout_seconds", ConfigValueKind.Integer, "60",
            "seeder/edge: how long a download waits for a missing chunk (upstream down) before it ends the response") { Min = 1 },
        new("tier.prewarm_aliases", ConfigValueKind.String, "auto",
            "seeder/edge: aliases whose targets are fetched as soon as they move: comma-separated globs on name@alias, "
            + "\"\" = none, auto = all for a seeder and none for an edge"),
        new("cache.capacity", ConfigValueKind.Integer, "0",
            "seeder/edge: bytes of chunks kept; least recently used packs are evicted above it (0 = unlimited)") { Min = 0 },
        new("auth.anonymous_read", ConfigValueKind.Boolean, "false",
            "allow reads (resolve, list, get, events) without a token"),
        new("auth.bootstrap_token_file", ConfigValueKind.String, "",
            "where the first start writes the admin token (mode 0600); empty = <data_dir>/admin.token"),
        new("log.level", ConfigValueKind.String, "information",
            "minimum log level")
        {
            Allowed = ["trace", "debug", "information", "warning", "error", "critical"],
        },
    ];

    public static ConfigKey? Find(string name)
    {
        foreach (var key in Keys)
        {
            if (key.Name == name)
            {
                return key;
            }
        }
        return null;
    }
}
