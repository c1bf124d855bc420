using Arca.Storage.Chunking;

namespace Arca.Storage.Tests.Chunking;

/// <summary>
/// The property that makes chunk-level dedup work: an edit only changes the chunks around it. Chunks entirely
/// before the edit are identical, and the chunk sequence re-synchronises within a few chunks after it.
/// </summary>
public sealed class EditResynchronisationTests
{
    // New chunks allowed after the edit window before both sequences cut at the same place again.
    private const int MaxChunksToResynchronise = 3;

    [Theory]
    [InlineData(1, "insert", 1)]
    [InlineData(2, "insert", 100)]
    [InlineData(3, "insert", 70_000)]
    [InlineData(4, "insert", 3_000_000)]
    [InlineData(5, "delete", 1)]
    [InlineData(6, "delete", 5_000)]
    [InlineData(7, "delete", 2_500_000)]
    [InlineData(8, "overwrite", 1)]
    [InlineData(9, "overwrite", 4_096)]
    [InlineData(10, "overwrite", 3_000_000)]
    public void Edit_DefaultOptions_ChangesOnlyTheChunksAroundIt(int seed, string edit, int count) =>
        AssertOnlyChunksAroundTheEditChange(new FastCdc(new ChunkerOptions()), 32 * 1024 * 1024, seed, edit, count);

    [Theory]
    [InlineData(21, "insert", 1)]
    [InlineData(22, "insert", 300)]
    [InlineData(23, "delete", 17)]
    [InlineData(24, "delete", 9_000)]
    [InlineData(25, "overwrite", 64)]
    [InlineData(26, "overwrite", 20_000)]
    public void Edit_SmallOptions_ChangesOnlyTheChunksAroundIt(int seed, string edit, int count) =>
        AssertOnlyChunksAroundTheEditChange(new FastCdc(TestData.SmallOptions), 4 * 1024 * 1024, seed, edit, count);

    private static void AssertOnlyChunksAroundTheEditChange(FastCdc cdc, int size, int seed, string edit, int count)
    {
        byte[] original = TestData.RandomBytes(size, (ulong)seed);
        byte[] noise = TestData.RandomBytes(count, (ulong)seed + 1000);
        var random = new Random(seed);
        int at = size / 4 + random.Next(size / 2);

        // The edit window is [at, at + removed) in the original and [at, at + added) in the edited stream.
        (byte[] Edited, int Removed, int Added) window = edit switch
        {
            "insert" => ([.. original.AsSpan(0, at), .. noise, .. original.AsSpan(at)], 0, count),
            "delete" => ([.. original.AsSpan(0, at), .. original.AsSpan(at + count)], count, 0),
            "overwrite" => ([.. original.AsSpan(0, at), .. noise, .. original.AsSpan(at + count)], count, count),
            _ => throw new ArgumentOutOfRangeException(nameof(edit)),
        };
        (byte[] edited, int removed, int added) = window;
        long shift = added - removed;

        var before = TestData.Chunks(cdc, original);
        var after = TestData.Chunks(cdc, edited);

        // Every chunk that ends before the edit is untouched, at the same index.
        int prefix = before.TakeWhile(c => c.End <= at).Count();
        Assert.True(prefix > 0, "The edit is in the middle, so some chunks precede it.");
        Assert.Equal(before.Take(prefix), after.Take(prefix));

        // Find the first cut after the edit window that both streams share.
        var originalStarts = before
            .Select((chunk, index) => (chunk, index))
            .Where(x => x.chunk.Offset >= at + removed)
            .ToDictionary(x => x.chunk.Offset + shift, x => x.index);
        int firstAfterEdit = after.FindIndex(c => c.Offset >= at + added);
        Assert.True(firstAfterEdit >= 0, "The edit is in the middle, so chunks follow it.");
        int synced = after.FindIndex(firstAfterEdit, c => originalStarts.ContainsKey(c.Offset));
        Assert.True(synced >= 0, "The chunk sequences never re-synchronised after the edit.");
        Assert.InRange(synced - firstAfterEdit, 0, MaxChunksToResynchronise);

        // From there on, the chunks are the same ones (same bytes, hence same digests), only shifted.
        int originalIndex = originalStarts[after[synced].Offset];
        Assert.Equal(before.Count - originalIndex, after.Count - synced);
        for (int i = 0; i < after.Count - synced; i++)
        {
            Assert.Equal(before[originalIndex + i].Digest, after[synced + i].Digest);
            Assert.Equal(before[originalIndex + i].Length, after[synced + i].Length);
        }

        // Only the chunks overlapping the edit, plus the few before re-synchronisation, are new to the store.
        var known = before.Select(c => c.Digest).ToHashSet();
        int newChunks = after.Count(c => !known.Contains(c.Digest));
        int overlapping = after.Count(c => c.End > at && c.Offset < at + added) + (added == 0 ? 1 : 0);
        Assert.InRange(newChunks, 0, overlapping + MaxChunksToResynchronise);
    }
}
