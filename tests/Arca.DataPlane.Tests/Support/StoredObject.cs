namespace Arca.DataPlane.Tests.Support;

/// <summary>A blob or chunk of <see cref="TestContent"/>: its data-plane path, digest and expected bytes.</summary>
public sealed record StoredObject(string Path, string Hex, byte[] Bytes)
{
    public string ETag => $"\"sha256:{Hex}\"";
}
