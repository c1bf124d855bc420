namespace Arca.DataPlane;

/// <summary>Decides whether a bearer token may read from the data plane.</summary>
public interface IBearerAuthorizer
{
    /// <summary>Answers from what is known now; must not block (it runs on the poller thread).</summary>
    bool Allows(string bearerToken);

    /// <summary>
    /// True for a token not decided yet (a tier checks tokens with its upstream): the request then waits, off the
    /// poller thread, for <see cref="CheckAsync"/> and is decided again, instead of a 403 for a valid token.
    /// </summary>
    bool IsUnknown(string bearerToken) => false;

    /// <summary>
    /// Decides an unknown token (may take a network round trip); throws when that is impossible now. Started on the
    /// poller thread: it must not block before its first wait on the network (which is awaited off the poller).
    /// </summary>
    ValueTask CheckAsync(string bearerToken) => ValueTask.CompletedTask;
}
