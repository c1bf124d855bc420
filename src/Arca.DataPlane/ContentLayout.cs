namespace Arca.DataPlane;

/// <summary>Where the bytes of one blob or chunk live: extents in content order whose lengths sum to <paramref name="Length"/>.</summary>
public sealed record ContentLayout(long Length, IReadOnlyList<ContentExtent> Extents);
