namespace Arca.Configuration;

/// <summary>Bad configuration: stops startup with a message of the form <c>file:line: key: what is wrong</c>.</summary>
public sealed class ConfigException(string message) : Exception(message);
