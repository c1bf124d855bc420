using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Arca.Client;
using Arca.Metadata;

namespace Arca.Cli;

/// <summary>
/// A model as the command line names it: <c>NAME</c>, <c>NAME:7</c> (a version) or <c>NAME@prod</c> (an alias).
/// Names may be namespaced (<c>team/qa</c>); names and aliases never contain <c>:</c> or <c>@</c>, so the first of
/// those splits the reference.
/// </summary>
internal sealed record ModelRef(string Name, long? Version, string? Alias)
{
    /// <summary>The model's API path; a namespaced name goes into it unescaped (<c>/v1/models/team/qa</c>).</summary>
    public string ModelPath => PathOf(Name);

    public static string PathOf(string name) => "/v1/models/" + name;

    public static bool TryParse(string text, [NotNullWhen(true)] out ModelRef? reference, [NotNullWhen(false)] out string? error)
    {
        reference = null;
        var split = text.IndexOfAny([':', '@']);
        var name = split < 0 ? text : text[..split];
        if (!Names.IsValidModelName(name))
        {
            error = $"'{text}': '{name}' is not a model name (lowercase [a-z0-9._-], optionally team/name)";
            return false;
        }
        if (split < 0)
        {
            reference = new ModelRef(name, null, null);
            error = null;
            return true;
        }
        var rest = text[(split + 1)..];
        if (text[split] == ':')
        {
            if (!long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
            {
                error = $"'{text}': after ':' comes a version number (1, 2, …)";
                return false;
            }
            reference = new ModelRef(name, version, null);
            error = null;
            return true;
        }
        if (!Names.IsValidAlias(rest))
        {
            error = $"'{text}': after '@' comes an alias name such as prod";
            return false;
        }
        reference = new ModelRef(name, null, rest);
        error = null;
        return true;
    }

    /// <summary>
    /// The version number this reference names: its own for <c>NAME:v</c>, the alias's current target for <c>NAME@a</c>
    /// (one resolve), or the failed response of that resolve. A bare <c>NAME</c> names no version (check
    /// <see cref="IsModelOnly"/> first).
    /// </summary>
    public async Task<(long Version, RegistryResponse? Failure)> ResolveAsync(RegistryClient registry, CancellationToken ct)
    {
        if (Version is { } version)
        {
            return (version, null);
        }
        if (Alias is null)
        {
            throw new InvalidOperationException("a bare model name names no version");
        }
        var target = await registry.SendAsync(HttpMethod.Get, $"{ModelPath}/aliases/{Alias}", ct: ct);
        return target.IsSuccess ? (target.Body!.Value.GetProperty("version").GetInt64(), null) : (0, target);
    }

    /// <summary>The API path of the version <see cref="ResolveAsync"/> returned.</summary>
    public string VersionPath(long version) => $"{ModelPath}/versions/{version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The version document this reference names (after resolving an alias), or the failed response.</summary>
    public async Task<RegistryResponse> GetVersionAsync(RegistryClient registry, CancellationToken ct)
    {
        var (version, failure) = await ResolveAsync(registry, ct);
        return failure ?? await registry.SendAsync(HttpMethod.Get, VersionPath(version), ct: ct);
    }

    public bool IsModelOnly => Version is null && Alias is null;

    public override string ToString() =>
        Version is { } v ? $"{Name}:{v.ToString(CultureInfo.InvariantCulture)}" : Alias is { } a ? $"{Name}@{a}" : Name;
}
