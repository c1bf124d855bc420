using Arca.DataPlane;

namespace Arca.Server.Tier;

/// <summary>Bearer tokens on a tier's data plane: those its upstream confirmed (checked in the background when new).</summary>
internal sealed class TierBearerAuthorizer(TierGateway gateway) : IBearerAuthorizer
{
    public bool Allows(string bearerToken) => gateway.AllowsCached(bearerToken);
}
