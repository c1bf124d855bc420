using Arca.Storage.Chunking;

namespace Arca.Storage.Tests.Chunking;

public sealed class FastCdcTests
{
    private static readonly FastCdc Default = new(new ChunkerOptions());
    private static readonly FastCdc Small = new(TestData.SmallOptions);

    // Pinned when the chunker was written: a change here changes every chunk digest in every store.
    private static readonly int[] GoldenDefault =
    [
        1424020, 501453, 1107408, 1323395, 1065123, 1087585, 1184324, 1137695,
        1157930, 1086035, 1079588, 1098859, 1092446, 1251062, 1180293,
    ];

    private static readonly int[] GoldenSmall =
    [
        3758, 10578, 11969, 10737, 9196, 8361, 9885, 9536, 8269, 10797, 10714, 9525, 8040, 10133,
        12843, 10769, 8528, 8596, 9419, 11228, 9972, 9240, 9773, 9282, 8265, 9727, 8407, 4597,
    ];

    [Fact]
    public void GearTable_IsSplitMix64OfThePinnedSeed()
    {
        // The table must never change: every stored chunk digest depends on it.
        ReadOnlySpan<ulong> table = GearTable.Values;
        Assert.Equal(256, table.Length);
        Assert.Equal(0x4152434147454152UL, GearTable.Seed);
        Assert.Equal(0x6A3F595EFCB807BFUL, table[0]);
        Assert.Equal(0x4D57D726447A79ADUL, table[255]);

        ulong state = GearTable.Seed;
        for (int i = 0; i < table.Length; i++)
        {
            Assert.Equal(TestData.SplitMix64(ref state), table[i]);
        }
    }

    [Fact]
    public void NextBoundary_DefaultOptions_MatchesGoldenBoundaries()
    {
        byte[] data = TestData.RandomBytes(16 * 1024 * 1024, seed: 42);

        List<int> lengths = TestData.CdcLengths(Default, data);

        Assert.Equal(GoldenDefault, lengths);
    }

    [Fact]
    public void NextBoundary_SmallOptions_MatchesGoldenBoundaries()
    {
        byte[] data = TestData.RandomBytes(256 * 1024, seed: 7);

        List<int> lengths = TestData.CdcLengths(Small, data);

        Assert.Equal(GoldenSmall, lengths);
    }

    [Fact]
    public void NextBoundary_IsDeterministic()
    {
        byte[] data = TestData.RandomBytes(8 * 1024 * 1024, seed: 3);

        var first = TestData.CdcLengths(Default, data);
        var second = TestData.CdcLengths(new FastCdc(new ChunkerOptions()), data.AsSpan().ToArray());

        Assert.Equal(first, second);
        Assert.Equal(data.Length, first.Sum());
    }

    [Theory]
    [InlineData(1, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024)]
    [InlineData(2, 2 * 1024, 8 * 1024, 64 * 1024)]
    [InlineData(3, 64, 128, 256)]
    [InlineData(4, 512 * 1024, 1024 * 1024, 1024 * 1024 + 1)]
    public void NextBoundary_ChunksRespectMinAndMax_ExceptTheLast(ulong seed, int min, int avg, int max)
    {
        var cdc = new FastCdc(new ChunkerOptions(min, avg, max));
        byte[] data = TestData.RandomBytes(16 * 1024 * 1024 + 12345, seed);

        List<int> lengths = TestData.CdcLengths(cdc, data);

        Assert.Equal(data.Length, lengths.Sum());
        for (int i = 0; i < lengths.Count - 1; i++)
        {
            Assert.InRange(lengths[i], min + 1, max);
        }

        Assert.InRange(lengths[^1], 1, max);
    }

    [Theory]
    [InlineData(11, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024)]
    [InlineData(12, 2 * 1024, 8 * 1024, 64 * 1024)]
    [InlineData(13, 16 * 1024, 64 * 1024, 256 * 1024)]
    public void NextBoundary_AverageChunkSizeOnRandomData_IsWithin25PercentOfAvg(ulong seed, int min, int avg, int max)
    {
        var cdc = new FastCdc(new ChunkerOptions(min, avg, max));
        byte[] data = TestData.RandomBytes(64 * 1024 * 1024, seed);

        List<int> lengths = TestData.CdcLengths(cdc, data);

        double average = (double)data.Length / lengths.Count;
        Assert.InRange(average, avg * 0.75, avg * 1.25);
    }

    [Fact]
    public void NextBoundary_ZeroFilledInput_CutsAtMaxSize()
    {
        // No content-defined boundary in a constant run: the hash never has its top bits all zero.
        byte[] data = new byte[10 * 1024 * 1024];

        List<int> lengths = TestData.CdcLengths(Default, data);

        Assert.Equal([4 * 1024 * 1024, 4 * 1024 * 1024, 2 * 1024 * 1024], lengths);
    }

    [Fact]
    public void NextBoundary_EmptyInput_ReturnsZero()
    {
        Assert.Equal(0, Default.NextBoundary([], isFinal: true));
        Assert.Equal(0, Default.NextBoundary([], isFinal: false));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(256 * 1024 - 1)]
    [InlineData(256 * 1024)]
    public void NextBoundary_InputNoLargerThanMinSize_IsOneChunkWhenFinal_AndNeedsMoreOtherwise(int length)
    {
        byte[] data = TestData.RandomBytes(length, seed: 5);

        Assert.Equal(length, Default.NextBoundary(data, isFinal: true));
        Assert.Equal(0, Default.NextBoundary(data, isFinal: false));
    }

    [Fact]
    public void NextBoundary_InputReachingMaxSize_NeverAsksForMore()
    {
        byte[] zeros = new byte[4 * 1024 * 1024 + 1];

        Assert.Equal(4 * 1024 * 1024, Default.NextBoundary(zeros.AsSpan(0, 4 * 1024 * 1024), isFinal: false));
        Assert.Equal(4 * 1024 * 1024, Default.NextBoundary(zeros, isFinal: false));
        Assert.Equal(4 * 1024 * 1024 - 1, Default.NextBoundary(zeros.AsSpan(0, 4 * 1024 * 1024 - 1), isFinal: true));
        Assert.Equal(0, Default.NextBoundary(zeros.AsSpan(0, 4 * 1024 * 1024 - 1), isFinal: false));
    }

    [Fact]
    public void NextBoundary_OnAnyPrefix_EitherAsksForMoreOrAgreesWithTheWholeInput()
    {
        byte[] data = TestData.RandomBytes(8 * 1024 * 1024, seed: 9);
        int expected = Default.NextBoundary(data, isFinal: false);
        Assert.NotEqual(0, expected);

        var random = new Random(9);
        for (int i = 0; i < 200; i++)
        {
            int length = random.Next(0, data.Length + 1);
            int cut = Default.NextBoundary(data.AsSpan(0, length), isFinal: false);

            if (length >= expected)
            {
                Assert.Equal(expected, cut);
            }
            else
            {
                Assert.Equal(0, cut);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(256 * 1024 - 1)]
    [InlineData(256 * 1024)]
    [InlineData(256 * 1024 + 1)]
    [InlineData(9 * 1024 * 1024 + 7)]
    public void LeadBoundary_IsMinSize_OrTheWholeShorterStream(int length)
    {
        byte[] data = TestData.RandomBytes(length, seed: 21);
        int min = Default.Options.MinSize;

        Assert.Equal(Math.Min(length, min), Default.LeadBoundary(data, isFinal: true));
        Assert.Equal(length >= min ? min : 0, Default.LeadBoundary(data, isFinal: false));
    }

    [Fact]
    public void A_streams_lead_is_cut_into_MinSize_chunks_and_the_rest_is_content_defined_from_there()
    {
        byte[] data = TestData.RandomBytes(16 * 1024 * 1024, seed: 42);
        int min = Default.Options.MinSize, lead = Default.Options.MaxSize / min;

        List<int> stream = TestData.ChunkLengths(Default, data);

        Assert.Equal(Enumerable.Repeat(min, lead), stream[..lead]);
        Assert.Equal(TestData.CdcLengths(Default, data.AsSpan(lead * min)), stream[lead..]);
        Assert.NotEqual(min, TestData.CdcLengths(Default, data)[0]); // so the rule is what made the first cut
    }

    [Fact]
    public void A_stream_shorter_than_its_lead_is_MinSize_chunks_and_a_short_last_one()
    {
        int min = Default.Options.MinSize;
        byte[] data = TestData.RandomBytes(3 * min + 5, seed: 8);

        Assert.Equal([min, min, min, 5], TestData.ChunkLengths(Default, data));
    }
}
