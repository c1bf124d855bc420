using Arca.DataPlane.Http;

namespace Arca.DataPlane.Tests.Http;

public sealed class ByteRangesTests
{
    [Theory]
    [InlineData(null, 100, "Full", 0, -1)]
    [InlineData("bytes=0-9", 100, "Partial", 0, 9)]
    [InlineData("bytes=90-", 100, "Partial", 90, 99)]
    [InlineData("bytes=-10", 100, "Partial", 90, 99)]
    [InlineData("bytes=-1000", 100, "Partial", 0, 99)]
    [InlineData("bytes=50-5000", 100, "Partial", 50, 99)]
    [InlineData("bytes=99-99", 100, "Partial", 99, 99)]
    [InlineData("bytes=100-", 100, "Unsatisfiable", 0, -1)]
    [InlineData("bytes=-0", 100, "Unsatisfiable", 0, -1)]
    [InlineData("bytes=0-", 0, "Unsatisfiable", 0, -1)]
    [InlineData("bytes=-5", 0, "Unsatisfiable", 0, -1)]
    [InlineData("bytes=9-0", 100, "Full", 0, -1)]
    [InlineData("bytes=0-1,3-4", 100, "Full", 0, -1)]
    [InlineData("bytes=,,0-1,,", 100, "Partial", 0, 1)]
    [InlineData("bytes=,", 100, "Full", 0, -1)]
    [InlineData("bytes=-", 100, "Full", 0, -1)]
    [InlineData("bytes=1", 100, "Full", 0, -1)]
    [InlineData("bytes=0x1-2", 100, "Full", 0, -1)]
    [InlineData("bytes=-1-2", 100, "Full", 0, -1)]
    [InlineData("=0-1", 100, "Full", 0, -1)]
    [InlineData("pages=0-1", 100, "Full", 0, -1)]
    [InlineData("bytes=9223372036854775807-", 100, "Unsatisfiable", 0, -1)]
    [InlineData("bytes=0-9223372036854775808", 100, "Partial", 0, 99)]
    [InlineData("bytes=-99999999999999999999999", 100, "Partial", 0, 99)]
    public void Evaluate_follows_RFC_9110_with_documented_choices(string? header, long length, string outcomeName, long first, long last)
    {
        var outcome = Enum.Parse<RangeOutcome>(outcomeName);
        var decision = ByteRanges.Evaluate(header, length);

        Assert.Equal(outcome, decision.Outcome);
        if (outcome == RangeOutcome.Partial)
        {
            Assert.Equal((first, last), (decision.First, decision.Last));
        }
    }
}
