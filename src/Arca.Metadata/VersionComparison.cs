using System.Text.Json;

namespace Arca.Metadata;

/// <summary>Two versions of a model side by side: metric deltas, param and tag changes, lineage differences.</summary>
public sealed record VersionComparison
{
    public required string Model { get; init; }
    public required ModelVersion A { get; init; }
    public required ModelVersion B { get; init; }
    public required IReadOnlyList<MetricDelta> Metrics { get; init; }
    public required IReadOnlyList<ValueChange> Params { get; init; }
    public required IReadOnlyList<ValueChange> Tags { get; init; }
    public required IReadOnlyList<ValueChange> Lineage { get; init; }

    /// <summary>Files added, removed and changed between the two artifacts, and the bytes they share (chunk-level).</summary>
    public LayerComparison? Layers { get; init; }

    /// <summary>Compares <paramref name="a"/> with <paramref name="b"/>; deltas are b − a.</summary>
    public static VersionComparison Create(ModelVersion a, ModelVersion b, Run? runA, Run? runB)
    {
        var metrics = new List<MetricDelta>();
        foreach (var key in a.Metrics.Keys.Union(b.Metrics.Keys).Order(StringComparer.Ordinal))
        {
            double? va = a.Metrics.TryGetValue(key, out var x) ? x : null;
            double? vb = b.Metrics.TryGetValue(key, out var y) ? y : null;
            metrics.Add(new MetricDelta(key, va, vb, va is not null && vb is not null ? vb - va : null));
        }
        var lineage = new List<ValueChange>
        {
            Change("run_id", a.RunId, b.RunId),
            Change("framework", a.Framework, b.Framework),
            Change("dataset_version", runA?.DatasetVersion, runB?.DatasetVersion),
            Change("code_commit", runA?.CodeCommit, runB?.CodeCommit),
            Change("container_image", runA?.ContainerImage, runB?.ContainerImage),
            Change("artifact_digest", a.ArtifactDigest, b.ArtifactDigest),
        };
        return new VersionComparison
        {
            Model = a.Model,
            A = a,
            B = b,
            Metrics = metrics,
            Params = Changes(a.Params, b.Params),
            Tags = Changes(
                a.Tags.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value, MetadataJson.Default.String)),
                b.Tags.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value, MetadataJson.Default.String))),
            Lineage = lineage,
        };
    }

    private static List<ValueChange> Changes(Dictionary<string, JsonElement> a, Dictionary<string, JsonElement> b)
    {
        var list = new List<ValueChange>();
        foreach (var key in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            JsonElement? va = a.TryGetValue(key, out var x) ? x : null;
            JsonElement? vb = b.TryGetValue(key, out var y) ? y : null;
            var changed = va is null || vb is null || !JsonElement.DeepEquals(va.Value, vb.Value);
            list.Add(new ValueChange(key, va, vb, changed));
        }
        return list;
    }

    private static ValueChange Change(string field, string? a, string? b) => new(field,
        a is null ? null : JsonSerializer.SerializeToElement(a, MetadataJson.Default.String),
        b is null ? null : JsonSerializer.SerializeToElement(b, MetadataJson.Default.String),
        a != b);
}

public sealed record MetricDelta(string Key, double? A, double? B, double? Delta);

public sealed record ValueChange(string Key, JsonElement? A, JsonElement? B, bool Changed);

public sealed record LayerDiff(string Path, string? ADigest, string? BDigest, long? ASize, long? BSize);

/// <summary>Layer-level differences of two artifacts; <see cref="BytesShared"/> counts B's bytes in chunks A also has.</summary>
public sealed record LayerComparison(IReadOnlyList<LayerDiff> Added, IReadOnlyList<LayerDiff> Removed,
    IReadOnlyList<LayerDiff> Changed, int Unchanged, long BytesA, long BytesB, long BytesShared);
