namespace Arca.DataPlane.Http;

internal enum RangeOutcome
{
    /// <summary>Send the whole representation with 200 (no Range, or one the server ignores).</summary>
    Full,

    /// <summary>Send <see cref="RangeDecision.First"/>..<see cref="RangeDecision.Last"/> with 206.</summary>
    Partial,

    /// <summary>416 with <c>Content-Range: bytes */length</c>.</summary>
    Unsatisfiable,
}
