namespace Arca.DataPlane;

/// <summary>Decides whether a bearer token may read from the data plane.</summary>
public interface IBearerAuthorizer
{
    bool Allows(string bearerToken);
}
