namespace Arca.Configuration;

/// <summary>Where an effective setting came from, in increasing precedence.</summary>
public enum ConfigSource
{
    Default,
    File,
    Environment,
    Flag,
}
