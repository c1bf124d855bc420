namespace Arca.Metadata;

/// <summary>A version listing: <c>?alias=&amp;tag=k:v&amp;filter=&amp;sort=&amp;limit=&amp;cursor=</c>.</summary>
public sealed record VersionQuery
{
    public string? Alias { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Filter { get; init; }
    public string? Sort { get; init; }
    public int Limit { get; init; } = 50;
    public string? Cursor { get; init; }
}
