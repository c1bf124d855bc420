using System.Text.Json;

namespace Arca.Tier.Tests.Infrastructure;

/// <summary>What <c>GET /v1/tier/status</c> answered.</summary>
internal sealed class TierStatus(string server, JsonElement json)
{
    public JsonElement Json => json;

    public string Mode => json.GetProperty("mode").GetString()!;

    public long CapacityBytes => json.GetProperty("capacity_bytes").GetInt64();

    public long UsedBytes => json.GetProperty("used_bytes").GetInt64();

    public long UpstreamFetches => Counter("upstream_fetches");

    public long BytesFetchedUpstream => Counter("bytes_fetched_upstream");

    public long CoalescedWaits => Counter("coalesced_waits");

    public long VerificationFailures => Counter("verification_failures");

    public long Evictions => Counter("evictions");

    public long BytesServed => Counter("bytes_served");

    public long Counter(string name)
    {
        if (json.TryGetProperty("counters", out var counters) && counters.TryGetProperty(name, out var value))
        {
            return value.GetInt64();
        }
        Assert.Fail($"{server}'s tier status has no counters.{name}: {json}");
        return 0;
    }

    /// <summary>The entry of <c>versions</c> for that model and version, or null.</summary>
    public JsonElement? Version(string model, long version)
    {
        foreach (var v in json.GetProperty("versions").EnumerateArray())
        {
            if (v.GetProperty("model").GetString() == model && v.GetProperty("version").GetInt64() == version)
            {
                return v;
            }
        }
        return null;
    }

    public override string ToString() => $"{server}: {json}";
}
