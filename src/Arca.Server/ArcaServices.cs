using Arca.Configuration;
using Arca.DataPlane;
using Arca.Metadata;
using Arca.Server.Blobs;
using Arca.Server.Tier;
using Arca.Server.Uploads;
using Arca.Storage.Blobs;
using Arca.Storage.Chunking;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arca.Server;

/// <summary>The stores and settings every endpoint uses; one per running server.</summary>
public sealed class ArcaServices : IAsyncDisposable
{
    public ArcaServices(ArcaOptions options, TimeProvider time, ILoggerFactory? loggers = null)
    {
        Options = options;
        Time = time;
        Database = MetadataDatabase.Open(options.MetadataDir, time, durable: !options.IsTier);
        Models = new ModelStore(Database);
        Versions = new VersionStore(Database, Models);
        Runs = new RunStore(Database);
        Aliases = new AliasStore(Database, Models);
        Events = new EventLog(Database);
        Audit = new AuditLog(Database);
        Tokens = new TokenStore(Database);
        var storeOptions = new ChunkStoreOptions
        {
            DataDir = options.DataDir,
            Chunker = new ChunkerOptions(options.ChunkMinBytes, options.ChunkAvgBytes, options.ChunkMaxBytes),
            PackSealBytes = options.PackSealBytes,
            IndexMemoryBytes = options.IndexMemoryBytes,
        };
        BlobCatalog = new BlobCatalog(Database);
        if (options.IsTier)
        {
            Tier = TierServices.Open(options, storeOptions, BlobCatalog, time, loggers ?? NullLoggerFactory.Instance);
            Chunks = Tier.Cache.Store;
        }
        else
        {
            Chunks = ChunkStore.Open(storeOptions);
        }
        Blobs = new BlobService(Chunks, BlobCatalog);
        Versions.ArtifactExists = BlobCatalog.IsManifest;
        Uploads = new UploadSessionStore(Chunks, options.UploadsDir, time, TimeSpan.FromSeconds(options.UploadSessionTtlSeconds));
        Signer = UrlSigner.LoadOrCreate(Path.Combine(options.DataDir, "secrets", "url-signing.key"), time);
        Links = new DataPlaneLinks(Signer, options);
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
    public ChunkStore Chunks { get; }
    public BlobCatalog BlobCatalog { get; }
    public BlobService Blobs { get; }
    internal UploadSessionStore Uploads { get; }
    public UrlSigner Signer { get; }
    public DataPlaneLinks Links { get; }

    /// <summary>The read-through machinery of a seeder or edge; null on an origin.</summary>
    public TierServices? Tier { get; }

    public async ValueTask DisposeAsync()
    {
        Uploads.Dispose();
        if (Tier is not null)
        {
            await Tier.DisposeAsync(); // closes the chunk store too
        }
        else
        {
            await Chunks.DisposeAsync();
        }
        await Database.DisposeAsync();
    }
}
