namespace Arca.Configuration.Tests;

/// <summary>The <c>[storage]</c> settings that reach the chunk store.</summary>
public sealed class StorageOptionsTests
{
    private static readonly Dictionary<string, string> None = [];

    private static ArcaOptions Options(params (string Key, string Value)[] flags) =>
        ArcaOptions.From(EffectiveConfig.Load(null, None, flags.ToDictionary(f => f.Key, f => f.Value)));

    [Fact]
    public void Index_memory_defaults_to_one_GiB_and_takes_a_setting()
    {
        Assert.Equal(1L << 30, Options().IndexMemoryBytes);
        Assert.Equal(8L << 30, Options(("storage.index_memory_bytes", "8_589_934_592")).IndexMemoryBytes);
    }

    [Fact]
    public void Index_memory_below_four_MiB_is_rejected()
    {
        var e = Assert.Throws<ConfigException>(() => Options(("storage.index_memory_bytes", "1000")));
        Assert.Contains("storage.index_memory_bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("4194304", e.Message, StringComparison.Ordinal);
    }
}
