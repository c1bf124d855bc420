namespace Arca.Metadata.Tests;

public sealed class MetadataDatabaseTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("arca-meta-").FullName;
    private MetadataDatabase _db = null!;

    public Task InitializeAsync()
    {
        _db = MetadataDatabase.Open(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Digest(int i) => "sha256:" + i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task GroupCommit_FailedOperation_DoesNotAffectItsNeighbours()
    {
        var models = new ModelStore(_db);
        var versions = new VersionStore(_db, models);
        // Registered concurrently so they share commit groups; every third refers to a run that does not exist.
        var tasks = Enumerable.Range(1, 60).Select(i => versions.RegisterAsync("t", "m", new VersionSpec
        {
            ArtifactDigest = Digest(i),
            RunId = i % 3 == 0 ? "missing-run" : null,
        })).ToList();
        var results = await Task.WhenAll(tasks);

        Assert.Equal(40, results.Count(r => r.IsOk));
        Assert.All(results.Where(r => !r.IsOk), r => Assert.Equal(StoreError.UnknownRun, r.Error));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), results.Where(r => r.IsOk).Select(r => r.Value!.Version).Order());
        var events = new EventLog(_db).Read(0, 1000);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.Equal(41, events.Count); // model.created + 40 version.registered
    }

    [Fact]
    public async Task OperationThatThrows_IsRolledBackAndReported()
    {
        var boom = _db.WriteAsync<int>("t", ctx =>
        {
            ctx.AppendEvent("test.event", null, "{}");
            throw new InvalidOperationException("boom");
        });
        var ok = _db.WriteAsync("t", ctx => StoreResult<long>.Ok(ctx.AppendEvent("test.event", null, "{}")));

        await Assert.ThrowsAsync<InvalidOperationException>(() => boom);
        Assert.Equal(1, (await ok).Value);
        Assert.Single(new EventLog(_db).Read(0, 10));
    }

    [Fact]
    public async Task AuditChain_VerifiesAndDetectsTampering()
    {
        var models = new ModelStore(_db);
        await models.CreateAsync("alice", "a", new ModelSpec());
        await models.CreateAsync("alice", "b", new ModelSpec());
        await models.UpdateAsync("bob", "a", new ModelSpec { Owner = "bob" });
        var audit = new AuditLog(_db);
        Assert.Equal((3L, (long?)null), audit.Verify());

        using (var c = _db.OpenRead())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "UPDATE audit SET actor = 'mallory' WHERE seq = 2";
            cmd.ExecuteNonQuery();
        }
        Assert.Equal((1L, (long?)2), audit.Verify());
    }

    [Fact]
    public async Task EventWait_WakesOnCommit()
    {
        var log = new EventLog(_db);
        var wait = log.ReadOrWaitAsync(0, 10, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.False(wait.IsCompleted);
        await _db.WriteAsync("t", ctx => StoreResult<long>.Ok(ctx.AppendEvent("x", null, "{}")));
        var events = await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("x", Assert.Single(events).Type);
    }
}
