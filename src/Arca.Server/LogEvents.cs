namespace Arca.Server;

/// <summary>Every log event id, one range per area: 1000 host, 1100 auth, 1200 requests, 1400 seeder/edge tiers.</summary>
internal static class LogEvents
{
    public const int Started = 1000;
    public const int BootstrapToken = 1001;
    public const int Stopping = 1002;
    public const int ReceiveBlocks = 1003;
    public const int UnhandledError = 1200;
    public const int StoredChunkCorrupt = 1210;
    public const int CacheDroppedCorrupt = 1400;
    public const int CacheDroppedBadChunk = 1401;
    public const int CacheOverCapacity = 1402;
    public const int FetchBadChunk = 1410;
    public const int FetchFailed = 1411;
    public const int RunBroken = 1412;
    public const int PrewarmFillFailed = 1420;
    public const int RecipeRecordFailed = 1421;
    public const int ServingStale = 1430;
    public const int FollowingEvents = 1431;
    public const int EventsLost = 1432;
    public const int Prewarming = 1433;
    public const int PrewarmFailed = 1434;
    public const int UpstreamTokenRejected = 1435;
}
