namespace Arca.DataPlane;

/// <summary>Where the bytes of one blob or chunk live: extents in content order whose lengths sum to <paramref name="Length"/>.</summary>
public sealed record ContentLayout(long Length, IReadOnlyList<ContentExtent> Extents)
{
    /// <summary>
    /// Set for content a read-through tier serves chunk by chunk as each one is held (and pinned) locally; then
    /// <see cref="Extents"/> is empty. The data plane streams every chunk as soon as it is there (cut-through).
    /// </summary>
    public IContentFill? Fill { get; init; }
}
