using System.Diagnostics;

namespace Arca.Cli.Tests.Commands;

public sealed class EventsTests : IAsyncLifetime
{
    private readonly Registry _registry = new();

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        await _registry.RegisterAsync("team/qa", "a");
        await _registry.RegisterAsync("team/qa", "b");
        await _registry.PromoteAsync("team/qa", "prod", 1);
        await _registry.PromoteAsync("team/qa", "prod", 2);
    }

    public Task DisposeAsync() => _registry.DisposeAsync();

    [Fact]
    public async Task Events_PrintsOneLinePerEvent_AndExits()
    {
        var result = await _registry.ArcaAsync("events");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Equal(["1", "2", "3", "4", "5"], lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
        Assert.Contains("model.created", lines[0], StringComparison.Ordinal);
        Assert.Contains("version.registered", lines[1], StringComparison.Ordinal);
        Assert.Contains("team/qa", lines[1], StringComparison.Ordinal);
        Assert.Contains("version 1 " + Registry.Digest("a")[..19], lines[1], StringComparison.Ordinal);
        Assert.Contains("alias.moved", lines[4], StringComparison.Ordinal);
        Assert.Contains("@prod 1 → 2", lines[4], StringComparison.Ordinal);
        Assert.Contains("@prod (new) → 1", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_JsonAfter_PrintsNdjsonOfTheLaterEvents()
    {
        var result = await _registry.ArcaAsync("events", "--after", "3", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var events = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Json.Parse).ToList();
        Assert.Equal([4L, 5L], events.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.All(events, e => Assert.Equal("alias.moved", e.GetProperty("type").GetString()));
        Assert.Equal(2, events[1].GetProperty("payload").GetProperty("to_version").GetInt64());
    }

    [Fact]
    public async Task EventsFollow_PrintsNewEventsAsTheyHappen_AndCtrlCExitsZero()
    {
        using var process = _registry.Start(_registry.Url, _registry.AdminToken, "events", "--follow", "--json", "--after", "5");
        try
        {
            var reader = process.StandardOutput;
            await _registry.RegisterAsync("team/qa", "c");
            var first = await ReadLineAsync(reader);
            await _registry.PromoteAsync("team/qa", "prod", 3);
            var second = await ReadLineAsync(reader);

            Assert.Equal(6, Json.Parse(first).GetProperty("seq").GetInt64());
            Assert.Equal("version.registered", Json.Parse(first).GetProperty("type").GetString());
            Assert.Equal("alias.moved", Json.Parse(second).GetProperty("type").GetString());

            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string> ReadLineAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await reader.ReadLineAsync(timeout.Token);
        Assert.NotNull(line);
        return line;
    }

    [Fact]
    public async Task Events_ReadOnlyToken_SeesThem()
    {
        var reader = await _registry.CreateTokenAsync("read");

        var result = await _registry.ArcaWithAsync(_registry.Url, reader, "events", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var types = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Json.Parse(l).GetProperty("type").GetString()).ToList();
        Assert.Contains("alias.moved", types);
        Assert.DoesNotContain(types, string.IsNullOrEmpty);
    }
}
