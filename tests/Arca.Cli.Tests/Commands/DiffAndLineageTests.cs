using System.Text.Json.Nodes;

namespace Arca.Cli.Tests.Commands;

public sealed class DiffAndLineageTests : IAsyncLifetime
{
    private readonly Registry _registry = new();

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        await _registry.SendAsync(HttpMethod.Post, "/v1/runs", JsonNode.Parse(
            """
            {"run_id":"train-1","dataset_version":"ds@2025-01","code_commit":"9f1c2e","container_image":"reg/train:1.4",
             "hyperparams":{"lr":0.001,"epochs":3},"started_at":"2025-01-01T10:00:00Z","finished_at":"2025-01-01T12:30:00Z"}
            """));
        await _registry.SendAsync(HttpMethod.Post, "/v1/runs", JsonNode.Parse(
            """{"run_id":"train-2","dataset_version":"ds@2025-02","code_commit":"9f1c2e","container_image":"reg/train:1.4"}"""));
        await _registry.RegisterAsync("team/qa", "a", """{"f1":0.8,"loss":0.3}""", """{"lr":0.001,"layers":12}""",
            """{"stage":"alpha"}""", runId: "train-1");
        await _registry.RegisterAsync("team/qa", "b", """{"f1":0.9,"recall":0.7}""", """{"lr":0.0003,"layers":12}""",
            """{"stage":"alpha"}""", runId: "train-2");
        await _registry.RegisterAsync("team/qa", "c");
        await _registry.PromoteAsync("team/qa", "prod", 2);
    }

    public Task DisposeAsync() => _registry.DisposeAsync();

    private static string[] Lines(CliResult result) => result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Diff_ShowsMetricDeltas_AndOnlyTheParamsTagsAndLineageThatChanged()
    {
        var result = await _registry.ArcaAsync("diff", "team/qa", "1", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result);
        Assert.Equal("team/qa: version 1 → version 2", lines[0]);
        Assert.Equal(["METRIC", "1", "2", "DELTA"], Cells(lines[1]));
        Assert.Contains(lines, l => Cells(l) is ["f1", "0.8", "0.9", "+0.1"]);
        Assert.Contains(lines, l => Cells(l) is ["loss", "0.3", "-", "-"]);
        Assert.Contains(lines, l => Cells(l) is ["recall", "-", "0.7", "-"]);
        Assert.Contains(lines, l => Cells(l) is ["lr", "0.001", "→", "0.0003"]);
        Assert.DoesNotContain(lines, l => Cells(l) is ["layers", ..]);
        Assert.Contains("tags: no changes", lines);
        Assert.Contains(lines, l => Cells(l) is ["run_id", "train-1", "→", "train-2"]);
        Assert.Contains(lines, l => Cells(l) is ["dataset_version", "ds@2025-01", "→", "ds@2025-02"]);
        Assert.DoesNotContain(lines, l => Cells(l) is ["code_commit", ..]);
        Assert.Contains(lines, l => Cells(l) is ["artifact_digest", var a, "→", var b]
            && a == Registry.Digest("a")[..19] && b == Registry.Digest("b")[..19]);
    }

    [Fact]
    public async Task Diff_AcceptsAliases_AndJsonIsTheServersComparison()
    {
        var text = await _registry.ArcaAsync("diff", "team/qa", "prod", "3");
        var json = await _registry.ArcaAsync("diff", "team/qa", "prod", "1", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.StartsWith("team/qa: version 2 → version 3\n", text.Stdout, StringComparison.Ordinal);
        Assert.Contains(Lines(text), l => Cells(l) is ["f1", "0.9", "-", "-"]);
        Assert.True(json.ExitCode == 0, json.ToString());
        var comparison = Json.Parse(json.Stdout);
        Assert.Equal(2, comparison.GetProperty("a").GetProperty("version").GetInt64());
        Assert.Equal(1, comparison.GetProperty("b").GetProperty("version").GetInt64());
        var f1 = comparison.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("key").GetString() == "f1");
        Assert.Equal(-0.1, f1.GetProperty("delta").GetDouble(), 9);
    }

    [Fact]
    public async Task Diff_StoredArtifacts_ListsLayersAddedRemovedChanged_AndSharedBytes()
    {
        var tokenizer = new byte[40_000];
        var weightsA = new byte[50_000];
        var weightsB = new byte[60_000];
        new Random(7).NextBytes(tokenizer);
        new Random(8).NextBytes(weightsA);
        new Random(9).NextBytes(weightsB);
        var a = await _registry.PutArtifactAsync(("tokenizer.json", tokenizer), ("weights.bin", weightsA), ("old.txt", [1, 2, 3]));
        var b = await _registry.PutArtifactAsync(("tokenizer.json", tokenizer), ("weights.bin", weightsB), ("config.json", [7]));
        foreach (var digest in new[] { a, b })
        {
            await _registry.SendAsync(HttpMethod.Post, "/v1/models/team/layers/versions", new JsonObject { ["artifact_digest"] = digest });
        }

        var result = await _registry.ArcaAsync("diff", "team/layers", "1", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result);
        Assert.Contains("metrics: none recorded", lines);
        Assert.Contains(lines, l => l.StartsWith("layers: 87.9 KiB → 97.7 KiB, shared 39.1 KiB (40% of the new artifact)", StringComparison.Ordinal));
        Assert.Contains(lines, l => Cells(l) is ["+", "config.json", "1", "B"]);
        Assert.Contains(lines, l => Cells(l) is ["-", "old.txt", "3", "B"]);
        Assert.Contains(lines, l => Cells(l) is ["~", "weights.bin", "48.8", "KiB", "→", "58.6", "KiB"]);
        Assert.Contains("  1 unchanged", lines);
    }

    [Fact]
    public async Task Diff_MissingVersionOrAlias_ExitsNotFound()
    {
        var version = await _registry.ArcaAsync("diff", "team/qa", "1", "9");
        var alias = await _registry.ArcaAsync("diff", "team/qa", "1", "canary");

        Assert.True(version.ExitCode == 3, version.ToString());
        Assert.True(alias.ExitCode == 3, alias.ToString());
        Assert.Contains("ALIAS_NOT_FOUND", alias.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lineage_PrintsTheRunBehindTheVersion()
    {
        var result = await _registry.ArcaAsync("lineage", "team/qa:1");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result);
        Assert.Contains(lines, l => Cells(l) is ["version", "1"]);
        Assert.Contains(lines, l => Cells(l) is ["digest", var d] && d == Registry.Digest("a"));
        Assert.Contains("run:", lines);
        Assert.Contains(lines, l => Cells(l) is ["id", "train-1"]);
        Assert.Contains(lines, l => Cells(l) is ["dataset", "ds@2025-01"]);
        Assert.Contains(lines, l => Cells(l) is ["commit", "9f1c2e"]);
        Assert.Contains(lines, l => Cells(l) is ["image", "reg/train:1.4"]);
        Assert.Contains(lines, l => Cells(l) is ["hyperparams", "lr=0.001", "epochs=3"]);
        Assert.Contains(lines, l => Cells(l) is ["started", "2025-01-01", "10:00:00"]);
        Assert.Contains(lines, l => Cells(l) is ["finished", "2025-01-01", "12:30:00"]);
    }

    [Fact]
    public async Task Lineage_OfAnAlias_AndOfAVersionWithoutRun_AndAsJson()
    {
        var alias = await _registry.ArcaAsync("lineage", "team/qa@prod");
        var noRun = await _registry.ArcaAsync("lineage", "team/qa:3");
        var json = await _registry.ArcaAsync("lineage", "team/qa:2", "--json");

        Assert.True(alias.ExitCode == 0, alias.ToString());
        Assert.Contains(Lines(alias), l => Cells(l) is ["id", "train-2"]);
        Assert.True(noRun.ExitCode == 0, noRun.ToString());
        Assert.Contains("run: none recorded", Lines(noRun));
        Assert.True(json.ExitCode == 0, json.ToString());
        var lineage = Json.Parse(json.Stdout);
        Assert.Equal(2, lineage.GetProperty("version").GetInt64());
        Assert.Equal("ds@2025-02", lineage.GetProperty("run").GetProperty("dataset_version").GetString());
    }

    [Fact]
    public async Task Lineage_MissingVersion_ExitsNotFound()
    {
        var result = await _registry.ArcaAsync("lineage", "team/qa:42");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("VERSION_NOT_FOUND", result.Stderr, StringComparison.Ordinal);
    }
}
