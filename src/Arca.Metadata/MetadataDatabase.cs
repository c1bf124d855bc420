using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Arca.Metadata;

/// <summary>
/// The SQLite (WAL) database of the control plane. Reads use pooled connections and run concurrently; writes are
/// queued to one writer that commits them in groups (one fsync for many concurrent operations), each operation in
/// its own savepoint so one failure never touches its neighbours.
/// </summary>
public sealed class MetadataDatabase : IAsyncDisposable
{
    private const int MaxGroup = 256;

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _writer;
    private readonly Task _writerLoop;
    private TaskCompletionSource _eventSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MetadataDatabase(string path, TimeProvider time, bool durable)
    {
        Path = path;
        _time = time;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = true,
            Cache = SqliteCacheMode.Private,
        }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        // FULL: a commit is on disk when it returns (an origin's catalog). NORMAL (a tier's cache of its upstream's
        // records): no fsync per commit; WAL keeps the database consistent, a power cut loses only recent records.
        Exec(_writer, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(durable ? "FULL" : "NORMAL")}; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;");
        Migrate();
        _writerLoop = Task.Factory.StartNew(WriterLoop, CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public string Path { get; }

    public TimeProvider Time => _time;

    /// <summary>Completes the next time an event row is committed.</summary>
    public Task EventAppended => Volatile.Read(ref _eventSignal).Task;

    /// <param name="durable">False for a cache whose records can be fetched again (commits are not fsynced).</param>
    public static MetadataDatabase Open(string directory, TimeProvider? time = null, bool durable = true)
    {
        Directory.CreateDirectory(directory);
        return new MetadataDatabase(System.IO.Path.Combine(directory, "arca.db"), time ?? TimeProvider.System, durable);
    }

    /// <summary>A pooled read connection; dispose it when done.</summary>
    public SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA busy_timeout=10000;";
        cmd.ExecuteNonQuery();
        return c;
    }

    /// <summary>Queues a write. An operation whose result is an error is rolled back to its savepoint.</summary>
    public Task<StoreResult<T>> WriteAsync<T>(string actor, Func<WriteContext, StoreResult<T>> operation)
    {
        var pending = new PendingWrite<T>(actor, operation);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(MetadataDatabase));
        }
        return pending.Completion.Task;
    }

    private async Task WriterLoop()
    {
        var batch = new List<PendingWrite>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxGroup && _queue.Reader.TryRead(out var p))
            {
                batch.Add(p);
            }
            CommitGroup(batch);
        }
    }

    private void CommitGroup(List<PendingWrite> batch)
    {
        var contexts = new WriteContext?[batch.Count];
        try
        {
            Exec(_writer, "BEGIN IMMEDIATE");
            for (var i = 0; i < batch.Count; i++)
            {
                var ctx = new WriteContext(_writer, batch[i].Actor, _time.GetUtcNow());
                Exec(_writer, "SAVEPOINT op");
                bool ok;
                try
                {
                    ok = batch[i].Execute(ctx);
                }
                catch (Exception e)
                {
                    Exec(_writer, "ROLLBACK TO op; RELEASE op");
                    batch[i].Fail(e);
                    batch[i] = null!;
                    continue;
                }
                if (ok)
                {
                    contexts[i] = ctx;
                    Exec(_writer, "RELEASE op");
                }
                else
                {
                    Exec(_writer, "ROLLBACK TO op; RELEASE op");
                }
            }
            Exec(_writer, "COMMIT");
        }
        catch (Exception e)
        {
            try
            {
                Exec(_writer, "ROLLBACK");
            }
            catch (SqliteException)
            {
                // Already rolled back by SQLite itself.
            }
            foreach (var p in batch)
            {
                p?.Fail(e);
            }
            return;
        }

        var anyEvent = false;
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is null)
            {
                continue;
            }
            if (contexts[i] is { } ctx)
            {
                anyEvent |= ctx.AppendedEvent;
                foreach (var action in ctx.AfterCommitActions)
                {
                    action();
                }
            }
            batch[i].Complete();
        }
        if (anyEvent)
        {
            Interlocked.Exchange(ref _eventSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))
                .TrySetResult();
        }
    }

    private void Migrate()
    {
        var current = Convert.ToInt32(Scalar(_writer, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = current; i < Schema.Migrations.Length; i++)
        {
            using var tx = _writer.BeginTransaction();
            Exec(_writer, Schema.Migrations[i]);
            Exec(_writer, $"PRAGMA user_version = {i + 1}");
            tx.Commit();
        }
    }

    internal static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private abstract class PendingWrite(string actor)
    {
        public string Actor { get; } = actor;

        public abstract bool Execute(WriteContext ctx);

        public abstract void Complete();

        public abstract void Fail(Exception e);
    }

    private sealed class PendingWrite<T>(string actor, Func<WriteContext, StoreResult<T>> operation) : PendingWrite(actor)
    {
        private StoreResult<T> _result;

        public TaskCompletionSource<StoreResult<T>> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool Execute(WriteContext ctx)
        {
            _result = operation(ctx);
            return _result.IsOk;
        }

        public override void Complete() => Completion.TrySetResult(_result);

        public override void Fail(Exception e) => Completion.TrySetException(e);
    }
}
