namespace Arca.Configuration.Tests;

/// <summary>The seeder/edge settings: what a tier needs, what an origin must not have, and the pre-warm defaults.</summary>
public sealed class TierOptionsTests
{
    private static readonly Dictionary<string, string> None = [];

    private static ArcaOptions Options(params (string Key, string Value)[] flags) =>
        ArcaOptions.From(EffectiveConfig.Load(null, None, flags.ToDictionary(f => f.Key, f => f.Value)));

    [Theory]
    [InlineData("seeder", "")]
    [InlineData("edge", "origin:8700")]
    [InlineData("edge", "ftp://origin:8700")]
    public void A_tier_without_an_http_upstream_is_a_config_error(string mode, string upstream)
    {
        var e = Assert.Throws<ConfigException>(() => Options(("mode", mode), ("upstream", upstream)).Validate());
        Assert.StartsWith("upstream:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_origin_with_an_upstream_is_a_config_error()
    {
        var e = Assert.Throws<ConfigException>(() => Options(("upstream", "http://x:8700")).Validate());
        Assert.Contains("seeder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tier_reads_its_settings()
    {
        var o = Options(("mode", "edge"), ("upstream", "http://seeder:8700/"), ("tier.fetch_concurrency", "3"),
            ("cache.capacity", "1_000_000"), ("tier.upstream_data_url", "http://seeder:8701"));
        o.Validate();
        Assert.True(o.IsTier);
        Assert.Equal("http://seeder:8700", o.Upstream);
        Assert.Equal(3, o.FetchConcurrency);
        Assert.Equal(1_000_000, o.CacheCapacity);
        Assert.Equal("http://seeder:8701", o.UpstreamDataUrl);
    }

    [Theory]
    [InlineData("seeder", "auto", new[] { "*" })]
    [InlineData("edge", "auto", new string[0])]
    [InlineData("edge", "", new string[0])]
    [InlineData("edge", "team/*@prod, qa@staging", new[] { "team/*@prod", "qa@staging" })]
    public void Prewarm_aliases_default_by_mode(string mode, string value, string[] globs)
    {
        var o = Options(("mode", mode), ("upstream", "http://up:8700"), ("tier.prewarm_aliases", value));
        Assert.Equal(globs, o.PrewarmGlobs);
    }

    [Theory]
    [InlineData(null, "cubic")]
    [InlineData("", "")]
    [InlineData("bbr", "bbr")]
    public void Data_plane_congestion_control_defaults_to_cubic_and_empty_means_the_kernel_default(string? value, string expected)
    {
        var o = value is null ? Options() : Options(("server.data_tcp_congestion", value));
        Assert.Equal(expected, o.DataTcpCongestion);
    }

    [Fact]
    public void Fetch_concurrency_below_one_is_rejected()
    {
        var e = Assert.Throws<ConfigException>(() => Options(("tier.fetch_concurrency", "0")));
        Assert.Contains("tier.fetch_concurrency", e.Message, StringComparison.Ordinal);
    }
}
