namespace Arca.DataPlane;

/// <summary>Which namespace of the store a data-plane path addresses: <c>/blobs/sha256/…</c> or <c>/chunks/sha256/…</c>.</summary>
public enum ContentKind
{
    Blob,
    Chunk,
}
