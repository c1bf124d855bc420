namespace Arca.Server.Tests;

/// <summary>A token created through the API: its id, name and the secret shown once.</summary>
public sealed record CreatedToken(string Id, string Name, string Token);
