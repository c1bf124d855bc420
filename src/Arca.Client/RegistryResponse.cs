using System.Text.Json;

namespace Arca.Client;

/// <summary>A registry answer: status, parsed JSON body (or null), and for errors the problem's code and detail.</summary>
public sealed record RegistryResponse(int Status, JsonElement? Body, string? Code, string? Detail)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public string ErrorMessage => Code is null ? $"HTTP {Status}" : $"{Code}: {Detail} (HTTP {Status})";
}
