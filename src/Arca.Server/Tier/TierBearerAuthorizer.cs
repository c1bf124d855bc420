using Arca.DataPlane;

namespace Arca.Server.Tier;

/// <summary>Bearer tokens on a tier's data plane: those its upstream confirmed; a new one is checked before its request is answered.</summary>
internal sealed class TierBearerAuthorizer(TierGateway gateway) : IBearerAuthorizer
{
    public bool Allows(string bearerToken) => gateway.AllowsCached(bearerToken);

    public bool IsUnknown(string bearerToken) => gateway.IsUnknownToken(bearerToken);

    public async ValueTask CheckAsync(string bearerToken) => await gateway.AuthenticateAsync(bearerToken);
}
