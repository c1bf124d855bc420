using System.Diagnostics;

namespace Arca.Client.Tests;

/// <summary>The README's "Downloading with curl only" walkthrough, run as written with real curl, jq and sha256sum.</summary>
[Collection(RegistryCollection.Name)]
public sealed class CurlOnlyTests(RegistryFixture fixture)
{
    private const string SnippetMarker = "# ---- README snippet ----\n";

    [Fact]
    public async Task The_curl_only_walkthrough_fetches_a_file_in_ranges_that_hash_to_its_layer_digest()
    {
        var source = ModelFiles.Create(new Dictionary<string, int>
        {
            ["config.json"] = 777,
            ["weights/model.safetensors"] = 5 * ModelFiles.MiB + 3,
        });
        using var client = fixture.Client();
        var push = await client.RunAsync("push", source, "--model", "team/curl", "--alias", "prod", "--json");
        Assert.True(push.ExitCode == 0, push.ToString());

        var work = TempDir.Create("curl");
        var info = new ProcessStartInfo("/bin/bash")
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ScriptPath);
        info.Environment["URL"] = fixture.Server.ControlUrl;
        info.Environment["ADMIN"] = fixture.Server.AdminToken;
        info.Environment["MODEL"] = "team/curl";
        info.Environment["ALIAS"] = "prod";
        info.Environment["FILE"] = "weights/model.safetensors";
        using var bash = Process.Start(info)!;
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await bash.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            bash.Kill(entireProcessTree: true);
            Assert.Fail("curl-only.sh did not finish: " + await stderr);
        }
        Assert.True(bash.ExitCode == 0, $"curl-only.sh exited {bash.ExitCode}:\n{await stdout}\n{await stderr}");
        Assert.Contains("model.safetensors: OK", await stdout, StringComparison.Ordinal);
        Assert.True(ModelFiles.Same(Path.Combine(source, "weights", "model.safetensors"), Path.Combine(work, "model.safetensors")));
        TempDir.Delete(work);
        TempDir.Delete(source);
    }

    [Fact]
    public void The_README_shows_the_commands_the_test_runs()
    {
        var script = File.ReadAllText(ScriptPath);
        var at = script.IndexOf(SnippetMarker, StringComparison.Ordinal);
        Assert.True(at > 0, "curl-only.sh lost its snippet marker");
        var snippet = script[(at + SnippetMarker.Length)..];
        var readme = File.ReadAllText(Path.Combine(RepoRoot, "README.md"));
        Assert.Contains("## Downloading with curl only", readme, StringComparison.Ordinal);
        Assert.Contains(snippet, readme, StringComparison.Ordinal);
    }

    private static string ScriptPath => Path.Combine(RepoRoot, "tests", "Arca.Client.Tests", "curl-only.sh");

    private static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Appliance.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("no Appliance.sln above " + AppContext.BaseDirectory);
        }
    }
}
