namespace Arca.DataPlane;

/// <summary>The store as the data plane sees it. Called on the request path: keep it fast and non-blocking.</summary>
public interface IContentSource
{
    /// <summary>The layout of <paramref name="hexDigest"/> (64 lowercase hex digits), or null when the store does not hold it (404).</summary>
    ContentLayout? Lookup(ContentKind kind, string hexDigest);

    /// <summary>Whether <see cref="LookupMissAsync"/> can find what <see cref="Lookup"/> did not (a tier asks its upstream).</summary>
    bool ResolvesMisses => false;

    /// <summary>
    /// Called off the poller thread when <see cref="Lookup"/> returned null, or for a <c>?repair=1</c> request (a
    /// downstream tier found this chunk corrupt and asks for it to be checked and fetched anew). Null: 404.
    /// </summary>
    ValueTask<ContentLayout?> LookupMissAsync(ContentKind kind, string hexDigest, bool repair, CancellationToken ct) =>
        ValueTask.FromResult<ContentLayout?>(null);

    /// <summary>
    /// A request for this content waits for its bearer token to be checked (a tier asks its upstream): a source that
    /// resolves misses may fetch the metadata a miss will need (a tier's recipe) meanwhile, so the two upstream round
    /// trips overlap. Never bytes here: the token may be refused. Must not block.
    /// </summary>
    void PrepareMiss(ContentKind kind, string hexDigest, string bearerToken)
    {
    }

    /// <summary>
    /// Whether a <c>?repair=1</c> chunk request goes to <see cref="LookupMissAsync"/> even though misses are not
    /// resolved (the origin re-hashes its own copy there and refuses to serve a corrupt one).
    /// </summary>
    bool ChecksRepairs => false;
}
