using Arca.Configuration;
using Arca.Metadata;

namespace Arca.Server;

/// <summary>The stores and settings every endpoint uses; one per running server.</summary>
public sealed class ArcaServices : IAsyncDisposable
{
    public ArcaServices(ArcaOptions options, TimeProvider time)
    {
        Options = options;
        Time = time;
        Database = MetadataDatabase.Open(options.MetadataDir, time);
        Models = new ModelStore(Database);
        Versions = new VersionStore(Database, Models);
        Runs = new RunStore(Database);
        Aliases = new AliasStore(Database, Models);
        Events = new EventLog(Database);
        Audit = new AuditLog(Database);
        Tokens = new TokenStore(Database);
    }

    public ArcaOptions Options { get; }
    public TimeProvider Time { get; }
    public MetadataDatabase Database { get; }
    public ModelStore Models { get; }
    public VersionStore Versions { get; }
    public RunStore Runs { get; }
    public AliasStore Aliases { get; }
    public EventLog Events { get; }
    public AuditLog Audit { get; }
    public TokenStore Tokens { get; }

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}
