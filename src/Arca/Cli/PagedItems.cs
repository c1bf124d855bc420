using System.Text.Json;
using Arca.Client;

namespace Arca.Cli;

/// <param name="More">True when the listing goes on past the items read.</param>
/// <param name="Failure">The failed response, if a page could not be read.</param>
internal sealed record PagedItems(IReadOnlyList<JsonElement> Items, bool More, RegistryResponse? Failure);
