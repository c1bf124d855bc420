namespace Arca.DataPlane.Http;

internal enum HttpMethodKind
{
    Get,
    Head,
    Other,
}
