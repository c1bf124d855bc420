using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace Arca.Storage.Chunking;

/// <summary>Chunk size bounds for content-defined chunking, in bytes.</summary>
/// <param name="MinSize">No boundary is looked for before this many bytes (cut-point skipping).</param>
/// <param name="AvgSize">Target chunk size; a power of two that sets the hash masks.</param>
/// <param name="MaxSize">A chunk is cut here if no boundary was found before.</param>
public sealed record ChunkerOptions(int MinSize = 256 * 1024, int AvgSize = 1024 * 1024, int MaxSize = 4 * 1024 * 1024)
{
    /// <summary>The smallest <see cref="MinSize"/> accepted: one gear hash window.</summary>
    public const int SmallestMinSize = 64;

    /// <summary>The largest <see cref="MaxSize"/> accepted: bounds the streaming buffer.</summary>
    public const int LargestMaxSize = 64 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> unless 64 ≤ Min &lt; Avg &lt; Max ≤ 64 MiB and Avg is a power of two.</summary>
    public void Validate()
    {
        if (MinSize < SmallestMinSize)
        {
            Throw(nameof(MinSize), $"MinSize must be at least {SmallestMinSize} bytes, got {MinSize}.");
        }

        if (AvgSize <= MinSize)
        {
            Throw(nameof(AvgSize), $"AvgSize ({AvgSize}) must be greater than MinSize ({MinSize}).");
        }

        if (!BitOperations.IsPow2(AvgSize))
        {
            Throw(nameof(AvgSize), $"AvgSize must be a power of two, got {AvgSize}.");
        }

        if (MaxSize <= AvgSize)
        {
            Throw(nameof(MaxSize), $"MaxSize ({MaxSize}) must be greater than AvgSize ({AvgSize}).");
        }

        if (MaxSize > LargestMaxSize)
        {
            Throw(nameof(MaxSize), $"MaxSize must be at most {LargestMaxSize} bytes, got {MaxSize}.");
        }
    }

    [DoesNotReturn]
    private static void Throw(string paramName, string message) => throw new ArgumentException(message, paramName);
}
