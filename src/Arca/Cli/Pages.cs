using System.Text.Json;
using Arca.Client;

namespace Arca.Cli;

/// <summary>Reads a cursor-paginated listing (<c>{"items": [...], "next_cursor": "..."}</c>) page by page.</summary>
internal static class Pages
{
    /// <summary>The items of all pages, or of the first <paramref name="max"/>; a failed page ends the read.</summary>
    public static async Task<PagedItems> ReadAsync(RegistryClient registry, string path, string property, int max,
        CancellationToken ct)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        while (true)
        {
            var pageSize = Math.Min(max - items.Count, 1000);
            var url = path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "limit=" + pageSize
                + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var response = await registry.SendAsync(HttpMethod.Get, url, ct: ct);
            if (!response.IsSuccess)
            {
                return new PagedItems(items, false, response);
            }
            var body = response.Body!.Value;
            items.AddRange(body.GetProperty(property).EnumerateArray());
            cursor = body.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String
                ? next.GetString()
                : null;
            if (cursor is null)
            {
                return new PagedItems(items, false, null);
            }
            if (items.Count >= max)
            {
                return new PagedItems(items, true, null);
            }
        }
    }
}
