namespace Arca.Server.Tests;

/// <summary>Row counts of the metadata tables; equal snapshots before and after a request mean it wrote nothing.</summary>
public sealed record StoreSnapshot(long Models, long Versions, long Runs, long Aliases, long AliasHistory, long Events, long Audit,
    long Tokens, long RevokedTokens, long SideRows);
