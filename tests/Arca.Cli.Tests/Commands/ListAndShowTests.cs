using System.Text.Json;
using System.Text.Json.Nodes;

namespace Arca.Cli.Tests.Commands;

public sealed class ListAndShowTests : IAsyncLifetime
{
    private readonly Registry _registry = new();

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        await _registry.SendAsync(HttpMethod.Post, "/v1/models",
            new JsonObject { ["name"] = "team/qa", ["owner"] = "search-team", ["task_type"] = "qa", ["description"] = "answers" });
        await _registry.RegisterAsync("team/qa", "a", """{"f1":0.8,"loss":0.3}""", """{"lr":0.001}""", """{"stage":"alpha"}""");
        await _registry.RegisterAsync("team/qa", "b", """{"f1":0.9,"loss":0.2}""", """{"lr":0.0003}""", """{"stage":"beta"}""");
        await _registry.RegisterAsync("team/qa", "c", """{"f1":0.85}""", """{"lr":0.0003}""", """{"stage":"beta"}""", framework: "onnx");
        await _registry.PromoteAsync("team/qa", "prod", 2);
        await _registry.PromoteAsync("team/qa", "staging", 2);
        await _registry.PromoteAsync("team/qa", "canary", 3);
        await _registry.RegisterAsync("vision", "v1");
    }

    public Task DisposeAsync() => _registry.DisposeAsync();

    private static string[] Lines(CliResult result) => result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Ls_ListsModels_WithLatestVersionOwnerAndTask()
    {
        var result = await _registry.ArcaAsync("ls");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result);
        Assert.Equal(["NAME", "LATEST", "OWNER", "TASK", "UPDATED"], Cells(lines[0]));
        Assert.Equal(3, lines.Length);
        Assert.Equal(["team/qa", "3", "search-team", "qa"], Cells(lines.Single(l => l.StartsWith("team/qa", StringComparison.Ordinal)))[..4]);
        Assert.Equal(["vision", "1"], Cells(lines.Single(l => l.StartsWith("vision", StringComparison.Ordinal)))[..2]);
    }

    [Fact]
    public async Task Ls_Json_PrintsTheModelsAsOneArray()
    {
        var result = await _registry.ArcaAsync("ls", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var models = Json.Parse(result.Stdout);
        Assert.Equal(JsonValueKind.Array, models.ValueKind);
        Assert.Equal(["team/qa", "vision"], models.EnumerateArray().Select(m => m.GetProperty("name").GetString()).Order());
    }

    [Fact]
    public async Task LsName_ListsVersions_WithShortDigestsMetricsAndTheAliasesThatPointAtThem()
    {
        var result = await _registry.ArcaAsync("ls", "team/qa");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result);
        Assert.Equal(["VERSION", "ALIASES", "DIGEST", "FRAMEWORK", "METRICS", "CREATED", "BY"], Cells(lines[0]));
        Assert.Equal(4, lines.Length);
        var v2 = lines.Single(l => l.StartsWith("2 ", StringComparison.Ordinal));
        Assert.Contains("@prod @staging", v2, StringComparison.Ordinal);
        Assert.Contains(Registry.Digest("b")[..19] + " ", v2, StringComparison.Ordinal);
        Assert.DoesNotContain(Registry.Digest("b")[..20], v2, StringComparison.Ordinal);
        Assert.Contains("f1=0.9 loss=0.2", v2, StringComparison.Ordinal);
        Assert.Contains("pytorch", v2, StringComparison.Ordinal);
        Assert.Contains("@canary", lines.Single(l => l.StartsWith("3 ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("@", lines.Single(l => l.StartsWith("1 ", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LsName_FilterSortTagAndLimit_GoToTheServer()
    {
        var filtered = await _registry.ArcaAsync("ls", "team/qa", "--filter", "metrics.f1>0.82", "--sort", "-metrics.f1");
        var tagged = await _registry.ArcaAsync("ls", "team/qa", "--tag", "stage:beta", "--sort", "version", "--json");
        var limited = await _registry.ArcaAsync("ls", "team/qa", "--limit", "2", "--sort", "-version");

        Assert.True(filtered.ExitCode == 0, filtered.ToString());
        Assert.Equal(["2", "3"], Lines(filtered)[1..].Select(l => Cells(l)[0]));
        Assert.True(tagged.ExitCode == 0, tagged.ToString());
        Assert.Equal([2L, 3L], Json.Parse(tagged.Stdout).EnumerateArray().Select(v => v.GetProperty("version").GetInt64()));
        Assert.True(limited.ExitCode == 0, limited.ToString());
        Assert.Equal(["3", "2"], Lines(limited)[1..].Select(l => Cells(l)[0]));
        Assert.Contains("--limit", limited.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LsName_AliasOnAVersionNotListed_IsStillMentioned()
    {
        var result = await _registry.ArcaAsync("ls", "team/qa", "--filter", "version=1");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("aliases on versions not listed: ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("@prod @staging → 2", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("@canary → 3", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LsName_UnknownModel_ExitsNotFound_AndBadFilterExitsFailure()
    {
        var missing = await _registry.ArcaAsync("ls", "team/nope");
        var badFilter = await _registry.ArcaAsync("ls", "team/qa", "--filter", "metrics.f1~1");

        Assert.True(missing.ExitCode == 3, missing.ToString());
        Assert.Contains("MODEL_NOT_FOUND", missing.Stderr, StringComparison.Ordinal);
        Assert.True(badFilter.ExitCode == 1, badFilter.ToString());
        Assert.Contains("INVALID_FILTER", badFilter.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShowName_PrintsTheModel_ItsAliases_AndItsLatestVersion()
    {
        var result = await _registry.ArcaAsync("show", "team/qa");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result);
        Assert.Equal(["name", "team/qa"], Cells(lines[0]));
        Assert.Contains(lines, l => Cells(l) is ["owner", "search-team"]);
        Assert.Contains(lines, l => Cells(l) is ["description", "answers"]);
        Assert.Contains(lines, l => Cells(l) is ["versions", "3"]);
        Assert.Contains(lines, l => Cells(l) is ["ALIAS", "VERSION", "REVISION", "UPDATED", "BY"]);
        Assert.Contains(lines, l => Cells(l) is ["prod", "2", "1", ..]);
        Assert.Contains(lines, l => Cells(l) is ["canary", "3", "1", ..]);
        Assert.Contains("latest version:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(lines, l => Cells(l) is ["digest", var d] && d == Registry.Digest("c"));
    }

    [Fact]
    public async Task ShowName_Json_HasTheModelTheAliasesAndTheLatestVersion()
    {
        var result = await _registry.ArcaAsync("show", "team/qa", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = Json.Parse(result.Stdout);
        Assert.Equal("search-team", json.GetProperty("model").GetProperty("owner").GetString());
        Assert.Equal(3, json.GetProperty("aliases").GetArrayLength());
        Assert.Equal(3, json.GetProperty("latest_version").GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task ShowVersion_PrintsEveryField()
    {
        var result = await _registry.ArcaAsync("show", "team/qa:1");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result);
        Assert.Contains(lines, l => Cells(l) is ["model", "team/qa"]);
        Assert.Contains(lines, l => Cells(l) is ["version", "1"]);
        Assert.Contains(lines, l => Cells(l) is ["digest", var d] && d == Registry.Digest("a"));
        Assert.Contains(lines, l => Cells(l) is ["status", "registered"]);
        Assert.Contains(lines, l => Cells(l) is ["framework", "pytorch"]);
        Assert.Contains(lines, l => Cells(l) is ["metrics", "f1=0.8", "loss=0.3"]);
        Assert.Contains(lines, l => Cells(l) is ["params", "lr=0.001"]);
        Assert.Contains(lines, l => Cells(l) is ["tags", "stage=alpha"]);
        Assert.Contains(lines, l => Cells(l) is ["created", _, _, "by", var by, ..] && by.StartsWith("bootstrap-admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ShowAlias_ResolvesAndShowsThatVersion_AndJsonIsTheVersion()
    {
        var text = await _registry.ArcaAsync("show", "team/qa@prod");
        var json = await _registry.ArcaAsync("show", "team/qa@canary", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.StartsWith("team/qa@prod → version 2\n", text.Stdout, StringComparison.Ordinal);
        Assert.Contains(Lines(text), l => Cells(l) is ["digest", var d] && d == Registry.Digest("b"));
        Assert.True(json.ExitCode == 0, json.ToString());
        var version = Json.Parse(json.Stdout);
        Assert.Equal(3, version.GetProperty("version").GetInt64());
        Assert.Equal("onnx", version.GetProperty("framework").GetString());
    }

    [Theory]
    [InlineData("team/nope", "MODEL_NOT_FOUND")]
    [InlineData("team/qa:99", "VERSION_NOT_FOUND")]
    [InlineData("team/qa@nope", "ALIAS_NOT_FOUND")]
    [InlineData("nope@prod", "MODEL_NOT_FOUND")]
    public async Task Show_Missing_ExitsNotFound(string reference, string code)
    {
        var result = await _registry.ArcaAsync("show", reference);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains(code, result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("show", "Team/QA")]
    [InlineData("show", "team/qa:latest")]
    [InlineData("ls", "team/qa:1")]
    [InlineData("lineage", "team/qa")]
    public async Task BadReference_ExitsUsage_WithoutCallingTheRegistry(string command, string reference)
    {
        var result = await _registry.ArcaWithAsync("http://127.0.0.1:1", null, command, reference);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("arca: ", result.Stderr, StringComparison.Ordinal);
    }
}
