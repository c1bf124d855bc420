namespace Arca.Configuration;

public enum ConfigValueKind
{
    String,
    Integer,
    Boolean,
    Float,
}
