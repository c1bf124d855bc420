using Arca.DataPlane;
using Arca.Metadata;

namespace Arca.Server.Blobs;

/// <summary>Bearer tokens on the data plane: any valid token may read bytes (content is addressed by digest, not by model).</summary>
internal sealed class TokenBearerAuthorizer(TokenStore tokens) : IBearerAuthorizer
{
    public bool Allows(string bearerToken) => tokens.Authenticate(bearerToken) is { } p && p.Allows(Roles.Read, null);
}
