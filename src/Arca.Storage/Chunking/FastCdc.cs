using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Arca.Storage.Chunking;

/// <summary>
/// FastCDC content-defined chunking (Xia et al., USENIX ATC 2016): a 64-bit gear rolling hash, cut-point skipping
/// of the first <see cref="ChunkerOptions.MinSize"/> bytes and normalized chunking level 2.
/// </summary>
/// <remarks>
/// Before <see cref="ChunkerOptions.AvgSize"/> a boundary needs log2(Avg) + 2 zero bits, after it log2(Avg) - 2,
/// which pulls chunk sizes towards the average. The masks take the top bits of the hash: with a shift of one per
/// byte, bit 63 depends on the last 64 bytes, the widest window a 64-bit gear hash has (the paper spreads its
/// mask bits for the same reason). The hash restarts at zero at <see cref="ChunkerOptions.MinSize"/> bytes into
/// every chunk, so a boundary depends only on the bytes of its own chunk: that is what makes chunking re-synchronise
/// after an edit, and what makes the result independent of how a stream is split into calls.
/// The first MaxSize bytes of a stream (its lead) are cut into chunks of exactly MinSize (<see cref="LeadBoundary"/>):
/// a tier serves a chunk only once it holds and has verified all of it, so small first chunks are what let a cold
/// blob's first bytes through a chain of tiers early and keep each tier ahead of its readers while its upstream
/// connections ramp up. The start of a stream is a fixed anchor, so this costs re-synchronisation nothing; an edit
/// that shifts the lead (a longer file header) re-chunks at most its MaxSize bytes.
/// Instances are immutable and thread-safe.
/// </remarks>
public sealed class FastCdc
{
    // Normalized chunking level 2: two more mask bits before the average size, two fewer after it.
    private const int NormalizationLevel = 2;

    private readonly int _minSize;
    private readonly int _avgSize;
    private readonly int _maxSize;
    private readonly ulong _maskS;
    private readonly ulong _maskL;

    public FastCdc(ChunkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _minSize = options.MinSize;
        _avgSize = options.AvgSize;
        _maxSize = options.MaxSize;
        int bits = BitOperations.Log2((uint)options.AvgSize);
        _maskS = TopBits(bits + NormalizationLevel);
        _maskL = TopBits(bits - NormalizationLevel);
    }

    public ChunkerOptions Options { get; }

    /// <summary>
    /// The lead of a stream, MaxSize bytes, is cut into MinSize chunks (<see cref="LeadBoundary"/>); content-defined
    /// chunking starts after it.
    /// </summary>
    public int LeadSize => _maxSize;

    /// <summary>
    /// Length of a chunk of a stream's lead (one that starts within <see cref="LeadSize"/> bytes of the stream's start)
    /// which starts at <c>data[0]</c>: MinSize, or the rest of the stream when it is shorter. Returns 0 when
    /// <paramref name="isFinal"/> is false and fewer than MinSize bytes are given.
    /// </summary>
    public int LeadBoundary(ReadOnlySpan<byte> data, bool isFinal) =>
        data.Length >= _minSize ? _minSize : isFinal ? data.Length : 0;

    /// <summary>
    /// Length of a chunk that starts at <c>data[0]</c>, after a stream's lead (see <see cref="LeadBoundary"/>). Returns 0
    /// when <paramref name="isFinal"/> is false, <c>data.Length</c> &lt; MaxSize and no boundary was found yet (the caller
    /// must supply more bytes). When <paramref name="isFinal"/> is true, returns <c>data.Length</c> if it is ≤ MinSize or no boundary is found
    /// before min(data.Length, MaxSize); never returns 0 for non-empty data when <paramref name="isFinal"/> is true.
    /// Deterministic: the result depends only on the bytes, never on how the stream was split into calls.
    /// </summary>
    public int NextBoundary(ReadOnlySpan<byte> data, bool isFinal)
    {
        int scanned = 0;
        ulong hash = 0;
        return NextBoundary(data, isFinal, ref scanned, ref hash);
    }

    /// <summary>
    /// Resumable form of <see cref="NextBoundary(ReadOnlySpan{byte}, bool)"/> for callers that grow the same
    /// pending chunk: when it returns 0, <paramref name="scanned"/> and <paramref name="hash"/> record how far the
    /// chunk was hashed, so the next call with more bytes of the same chunk does not rehash them. Both start at 0
    /// and are reset to 0 whenever a length is returned.
    /// </summary>
    internal int NextBoundary(ReadOnlySpan<byte> data, bool isFinal, ref int scanned, ref ulong hash)
    {
        Debug.Assert(scanned <= data.Length, "The resume state belongs to a longer pending chunk.");
        Debug.Assert(scanned > _minSize || hash == 0, "A fresh scan must start with a zero hash.");

        int length = data.Length;
        if (length <= _minSize)
        {
            // Nothing can be cut yet (MinSize < MaxSize, so there is no forced cut either).
            return isFinal ? length : 0;
        }

        int end = Math.Min(length, _maxSize);
        int normalEnd = Math.Min(end, _avgSize);
        int index = Math.Max(scanned, _minSize);
        ref byte source = ref MemoryMarshal.GetReference(data);
        ulong h = hash;

        int cut = index < normalEnd ? Scan(ref source, index, normalEnd, _maskS, ref h) : -1;
        if (cut < 0)
        {
            cut = Scan(ref source, Math.Max(index, normalEnd), end, _maskL, ref h);
        }

        if (cut < 0)
        {
            if (end == _maxSize)
            {
                cut = _maxSize;
            }
            else if (isFinal)
            {
                cut = length;
            }
            else
            {
                scanned = end;
                hash = h;
                return 0;
            }
        }

        scanned = 0;
        hash = 0;
        return cut;
    }

    /// <summary>
    /// Rolls the gear hash over <c>source[index..end)</c>; returns the chunk length (position after the byte whose
    /// hash matched) or -1 with <paramref name="hash"/> updated when no position matched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Scan(ref byte source, int index, int end, ulong mask, ref ulong hash)
    {
        ref ulong gear = ref MemoryMarshal.GetReference(GearTable.Values);
        ulong h = hash;
        nint i = index;
        nint stop = end;

        // The hash is one serial shift-add chain per byte; unrolling by four only removes loop overhead, and the
        // byte-indexed table lookups need no bounds checks (a byte is always < 256).
        while (i + 4 <= stop)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i));
            if ((h & mask) == 0)
            {
                return (int)i + 1;
            }

            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i + 1));
            if ((h & mask) == 0)
            {
                return (int)i + 2;
            }

            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i + 2));
            if ((h & mask) == 0)
            {
                return (int)i + 3;
            }

            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i + 3));
            if ((h & mask) == 0)
            {
                return (int)i + 4;
            }

            i += 4;
        }

        while (i < stop)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i));
            i++;
            if ((h & mask) == 0)
            {
                return (int)i;
            }
        }

        hash = h;
        return -1;
    }

    private static ulong TopBits(int count) => ulong.MaxValue << (64 - count);
}
