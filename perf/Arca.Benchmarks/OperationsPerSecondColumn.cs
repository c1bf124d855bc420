using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Arca.Benchmarks;

/// <summary>Operations per second from the mean time per operation (BenchmarkDotNet divides by OperationsPerInvoke).</summary>
public sealed class OperationsPerSecondColumn : IColumn
{
    public string Id => nameof(OperationsPerSecondColumn);

    public string ColumnName => "ops/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "operations per second, from the mean time per operation";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics is { } statistics ? (1e9 / statistics.Mean).ToString("N0") : "NA";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
