using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Arca.Benchmarks;

/// <summary>
/// MB/s (10^6 bytes per second) of benchmarks that process a fixed number of bytes per operation, from the mean or
/// from the fastest iteration (the better figure on a machine shared with other work).
/// </summary>
public sealed class ThroughputColumn(long bytesPerOperation, bool fromFastest) : IColumn
{
    public string Id => $"{nameof(ThroughputColumn)}.{(fromFastest ? "Fastest" : "Mean")}";

    public string ColumnName => fromFastest ? "MB/s (best)" : "MB/s (mean)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => fromFastest ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend =>
        $"10^6 bytes per second over {bytesPerOperation} bytes per operation, from the {(fromFastest ? "fastest iteration" : "mean")}";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics is { } statistics
            ? (bytesPerOperation / ((fromFastest ? statistics.Min : statistics.Mean) / 1e9) / 1e6).ToString("N0")
            : "NA";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
