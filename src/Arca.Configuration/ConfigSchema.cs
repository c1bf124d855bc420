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
