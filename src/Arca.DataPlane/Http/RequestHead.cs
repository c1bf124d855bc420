namespace Arca.DataPlane.Http;

/// <summary>The parts of a request head the data plane acts on; other fields are validated and dropped.</summary>
internal sealed class RequestHead
{
    public HttpMethodKind Method { get; set; }

    public string MethodText { get; set; } = "";

    /// <summary>The request target's path, exactly as sent (never percent-decoded).</summary>
    public string Path { get; set; } = "";

    /// <summary>The raw query after '?', or null when the target has none.</summary>
    public string? Query { get; set; }

    /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
    public int MinorVersion { get; set; }

    public bool KeepAlive { get; set; }

    public string? Range { get; set; }

    /// <summary>True when Range appeared on more than one field line (then it is ignored).</summary>
    public bool RangeRepeated { get; set; }

    public string? IfNoneMatch { get; set; }

    public string? IfRange { get; set; }

    public string? Authorization { get; set; }

    public int HostCount { get; set; }

    public void Reset()
    {
        Method = HttpMethodKind.Other;
        MethodText = "";
        Path = "";
        Query = null;
        MinorVersion = 1;
        KeepAlive = true;
        Range = null;
        RangeRepeated = false;
        IfNoneMatch = null;
        IfRange = null;
        Authorization = null;
        HostCount = 0;
    }
}
