namespace Arca.DataPlane.Http;

/// <summary>What a Range header means for a representation of a given length; First and Last are inclusive.</summary>
internal readonly record struct RangeDecision(RangeOutcome Outcome, long First, long Last)
{
    public static RangeDecision Full { get; } = new(RangeOutcome.Full, 0, -1);

    public static RangeDecision Unsatisfiable { get; } = new(RangeOutcome.Unsatisfiable, 0, -1);

    public long Count => Last - First + 1;
}
