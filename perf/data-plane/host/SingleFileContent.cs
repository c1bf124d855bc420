using Arca.DataPlane;

namespace Arca.Perf.DataPlaneHost;

internal sealed class SingleFileContent(string hex, ContentLayout layout) : IContentSource
{
    public ContentLayout? Lookup(ContentKind kind, string hexDigest) => kind == ContentKind.Blob && hexDigest == hex ? layout : null;
}
