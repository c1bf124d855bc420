using System.Security.Cryptography;
using System.Text;
using Arca.DataPlane;

namespace Arca.Perf.DataPlaneHost;

internal sealed class FixedToken(string token) : IBearerAuthorizer
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(token);

    public bool Allows(string bearerToken) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(bearerToken), _token);
}
