namespace Arca.Metadata;

/// <summary>An authenticated caller: a token's id, name, roles and model-name scope.</summary>
public sealed record Principal(string TokenId, string Name, Roles Roles, string ModelsGlob)
{
    /// <summary>The caller of anonymous reads when <c>auth.anonymous_read</c> is on.</summary>
    public static Principal Anonymous { get; } = new("", "anonymous", Roles.Read, "*");

    /// <summary>How the caller appears in audit rows and <c>created_by</c>.</summary>
    public string Actor => TokenId.Length == 0 ? Name : $"{Name} ({TokenId})";

    /// <summary>Whether the caller has <paramref name="needed"/> on <paramref name="model"/> (null: not model-scoped).</summary>
    public bool Allows(Roles needed, string? model)
    {
        var effective = Roles.HasFlag(Roles.Admin) ? Roles.Read | Roles.Write | Roles.Promote | Roles.Admin
            : Roles == Roles.None ? Roles.None : Roles | Roles.Read;
        if ((effective & needed) != needed)
        {
            return false;
        }
        return model is null || Glob.IsMatch(ModelsGlob, model);
    }

    public static bool TryParseRoles(IEnumerable<string> names, out Roles roles, out string bad)
    {
        roles = Roles.None;
        bad = "";
        foreach (var name in names)
        {
            switch (name.Trim())
            {
                case "read": roles |= Roles.Read; break;
                case "write": roles |= Roles.Write; break;
                case "promote": roles |= Roles.Promote; break;
                case "admin": roles |= Roles.Admin; break;
                default:
                    bad = name;
                    return false;
            }
        }
        return roles != Roles.None;
    }

    public static string[] RoleNames(Roles roles)
    {
        var list = new List<string>(4);
        if (roles.HasFlag(Roles.Read)) list.Add("read");
        if (roles.HasFlag(Roles.Write)) list.Add("write");
        if (roles.HasFlag(Roles.Promote)) list.Add("promote");
        if (roles.HasFlag(Roles.Admin)) list.Add("admin");
        return [.. list];
    }
}
