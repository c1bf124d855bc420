using Arca.Storage.Chunking;

namespace Arca.Storage.Tests.Chunking;

public sealed class ChunkerOptionsTests
{
    [Fact]
    public void Defaults_AreTheDesignSizes_AndValid()
    {
        var options = new ChunkerOptions();

        Assert.Equal(256 * 1024, options.MinSize);
        Assert.Equal(1024 * 1024, options.AvgSize);
        Assert.Equal(4 * 1024 * 1024, options.MaxSize);
        options.Validate();
    }

    [Theory]
    [InlineData(64, 128, 129)]
    [InlineData(2048, 8192, 65536)]
    [InlineData(1024 * 1024, 32 * 1024 * 1024, 64 * 1024 * 1024)]
    public void Validate_AcceptsGoodBounds(int min, int avg, int max)
    {
        new ChunkerOptions(min, avg, max).Validate();
    }

    [Theory]
    [InlineData(63, 128, 256, "MinSize")]
    [InlineData(0, 128, 256, "MinSize")]
    [InlineData(-1, 128, 256, "MinSize")]
    [InlineData(128, 128, 256, "AvgSize")]
    [InlineData(256, 128, 512, "AvgSize")]
    [InlineData(64, 100, 256, "AvgSize")]
    [InlineData(64, 3 * 64, 1024, "AvgSize")]
    [InlineData(64, 128, 128, "MaxSize")]
    [InlineData(64, 128, 100, "MaxSize")]
    [InlineData(64, 1024, 64 * 1024 * 1024 + 1, "MaxSize")]
    [InlineData(64, 1024, int.MaxValue, "MaxSize")]
    public void Validate_RejectsBadBounds(int min, int avg, int max, string paramName)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ChunkerOptions(min, avg, max).Validate());

        Assert.Equal(paramName, ex.ParamName);
    }

    [Fact]
    public void FastCdc_RejectsBadOptions()
    {
        Assert.Throws<ArgumentException>(() => new FastCdc(new ChunkerOptions(MinSize: 1024, AvgSize: 1000, MaxSize: 4096)));
    }
}
