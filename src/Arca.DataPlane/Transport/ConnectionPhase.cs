namespace Arca.DataPlane.Transport;

/// <summary>What a connection is waiting for; decides what its deadline means when it passes.</summary>
internal enum ConnectionPhase
{
    /// <summary>Keep-alive, between requests (IdleTimeout): close silently.</summary>
    Idle,

    /// <summary>Inside a request head (HeaderTimeout): answer 408 if anything arrived, then close.</summary>
    ReadingHead,

    /// <summary>Sending a response (IdleTimeout without progress): abort.</summary>
    Sending,

    /// <summary>Lingering before close so the peer reads the last response: stop.</summary>
    Draining,
}
