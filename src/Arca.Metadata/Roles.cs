namespace Arca.Metadata;

/// <summary>What a token may do. Every role also reads; <see cref="Admin"/> may do everything.</summary>
[Flags]
public enum Roles
{
    None = 0,
    Read = 1,
    Write = 2,
    Promote = 4,
    Admin = 8,
}
