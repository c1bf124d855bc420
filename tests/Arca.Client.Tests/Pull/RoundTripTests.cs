namespace Arca.Client.Tests.Pull;

[Collection(RegistryCollection.Name)]
public sealed class RoundTripTests(RegistryFixture fixture)
{
    [Fact]
    public async Task A_pushed_directory_pulls_back_bit_exact_with_nothing_left_over()
    {
        var source = ModelFiles.Checkpoint();
        var target = TempDir.Create("pulled");
        using var client = fixture.Client();
        var total = ModelFiles.List(source).Values.Sum();

        var push = await client.RunAsync("push", source, "--model", "team/roundtrip", "--framework", "pytorch",
            "--metric", "f1=0.91", "--param", "lr=3e-4", "--tag", "owner=nlp", "--alias", "staging", "--json");
        Assert.True(push.ExitCode == 0, push.ToString());
        var pushed = push.Json;
        Assert.Equal("team/roundtrip", pushed.GetProperty("model").GetString());
        var version = pushed.GetProperty("version").GetInt64();
        Assert.True(version >= 1);
        var digest = pushed.GetProperty("artifact_digest").GetString()!;
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);
        Assert.True(pushed.GetProperty("created").GetBoolean());
        Assert.Equal(8, pushed.GetProperty("layers").GetInt32());
        Assert.Equal(8, pushed.GetProperty("layers_uploaded").GetInt32());
        Assert.Equal(total, pushed.GetProperty("bytes_uploaded").GetInt64());
        Assert.Equal(0, pushed.GetProperty("bytes_skipped").GetInt64());
        Assert.Equal("staging", pushed.GetProperty("alias").GetString());

        var pull = await client.RunAsync("pull", "team/roundtrip@staging", target, "--json");
        Assert.True(pull.ExitCode == 0, pull.ToString());
        var pulled = pull.Json;
        Assert.Equal("team/roundtrip", pulled.GetProperty("model").GetString());
        Assert.Equal(version, pulled.GetProperty("version").GetInt64());
        Assert.Equal(digest, pulled.GetProperty("artifact_digest").GetString());
        Assert.Equal(Path.GetFullPath(target), pulled.GetProperty("directory").GetString());
        Assert.Equal(8, pulled.GetProperty("layers").GetInt32());
        Assert.Equal(8, pulled.GetProperty("layers_fetched").GetInt32());
        Assert.Equal(total, pulled.GetProperty("bytes_fetched").GetInt64());
        Assert.Equal(0, pulled.GetProperty("bytes_in_place").GetInt64());

        ModelFiles.AssertSameFiles(source, target);
        // The client's bookkeeping stays inside DIR/.arca, and no partial download is left there either.
        foreach (var path in ModelFiles.List(target, includeArca: true).Keys)
        {
            Assert.False(path.Contains(".arca", StringComparison.Ordinal) && !path.StartsWith(".arca/placed/", StringComparison.Ordinal),
                $"left over: {path}");
        }

        var again = await client.RunAsync("pull", $"team/roundtrip:{version}", target, "--json");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(0, again.Json.GetProperty("layers_fetched").GetInt32());
        Assert.Equal(0, again.Json.GetProperty("bytes_fetched").GetInt64());
        Assert.Equal(total, again.Json.GetProperty("bytes_in_place").GetInt64());
        ModelFiles.AssertSameFiles(source, target);

        TempDir.Delete(source);
        TempDir.Delete(target);
    }

    [Fact]
    public async Task Without_mapped_files_a_pull_writes_the_same_bytes()
    {
        // ARCA_PULL_MMAP=0: pieces are received into buffers and written with pwrite (the path for file systems
        // that cannot reserve space or map files) instead of straight into mapped windows of the file. No empty
        // file: its layer would be shared with the other tests' pushes to this registry.
        var source = ModelFiles.Create(new Dictionary<string, int> { ["weights.bin"] = 40 * ModelFiles.MiB + 3, ["config.json"] = 999 });
        var target = TempDir.Create("pulled");
        using var client = fixture.Client();
        var push = await client.RunAsync("push", source, "--model", "team/pwrite", "--alias", "prod", "--json");
        Assert.True(push.ExitCode == 0, push.ToString());

        client.Environment["ARCA_PULL_MMAP"] = "0";
        var pull = await client.RunAsync("pull", "team/pwrite@prod", target, "--streams", "3", "--json");
        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.Equal(ModelFiles.List(source).Values.Sum(), pull.Json.GetProperty("bytes_fetched").GetInt64());
        ModelFiles.AssertSameFiles(source, target);

        TempDir.Delete(source);
        TempDir.Delete(target);
    }

    [Fact]
    public async Task A_local_file_error_is_a_plain_message_and_exit_1_not_a_stack_trace()
    {
        var source = ModelFiles.Create(new Dictionary<string, int> { ["w.bin"] = 2 * ModelFiles.MiB + 1 });
        using var client = fixture.Client();
        var push = await client.RunAsync("push", source, "--model", "team/local-error", "--alias", "prod", "--json");
        Assert.True(push.ExitCode == 0, push.ToString());

        // DIR exists as a regular file: nothing can be created under it.
        var notADirectory = Path.Combine(TempDir.Create("blocked"), "file");
        File.WriteAllText(notADirectory, "in the way");
        var pull = await client.RunAsync("pull", "team/local-error@prod", notADirectory);
        Assert.True(pull.ExitCode == 1, pull.ToString());
        Assert.StartsWith("arca: ", pull.Stderr.Trim().Split('\n')[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", pull.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", pull.Stderr, StringComparison.Ordinal);
        Assert.Equal("in the way", File.ReadAllText(notADirectory));
        TempDir.Delete(source);
    }
}
