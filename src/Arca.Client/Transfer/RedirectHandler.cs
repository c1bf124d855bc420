namespace Arca.Client.Transfer;

/// <summary>
/// Follows redirects the way a registry client needs. A seeder or edge answers writes with 307 to its upstream: the
/// write is re-sent there with its credentials (the user pointed us at that tier, which redirected us to its origin),
/// and later writes of this client go straight to that origin, so streamed upload bodies are never sent twice. Reads
/// follow redirects like a browser, dropping the Authorization header when the host changes (presigned URLs need none).
/// </summary>
public sealed class RedirectHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private const int MaxHops = 5;
    private Uri? _writeBase;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var write = request.Method != HttpMethod.Get && request.Method != HttpMethod.Head;
        if (write && Volatile.Read(ref _writeBase) is { } writeBase && request.RequestUri is { } uri)
        {
            request.RequestUri = Rebase(uri, writeBase);
        }
        var current = request;
        for (var hop = 0; ; hop++)
        {
            var response = await base.SendAsync(current, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var redirect = write ? status is 307 or 308 : status is 301 or 302 or 303 or 307 or 308;
            if (!redirect || hop == MaxHops || response.Headers.Location is not { } location || current.RequestUri is not { } from)
            {
                return response;
            }
            var target = new Uri(from, location);
            if (write && current.Content is StreamContent)
            {
                return response; // a streamed body cannot be replayed; the next write goes to the learned base
            }
            if (write)
            {
                Volatile.Write(ref _writeBase, new Uri(target.GetLeftPart(UriPartial.Authority)));
            }
            var next = new HttpRequestMessage(current.Method, target) { Content = current.Content, Version = current.Version };
            foreach (var header in current.Headers)
            {
                if (header.Key == "Authorization" && !write && !SameAuthority(from, target))
                {
                    continue;
                }
                next.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            response.Dispose();
            current = next;
        }
    }

    private static bool SameAuthority(Uri a, Uri b) =>
        string.Equals(a.GetLeftPart(UriPartial.Authority), b.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    private static Uri Rebase(Uri uri, Uri writeBase) =>
        uri.IsAbsoluteUri ? new Uri(writeBase, uri.PathAndQuery) : uri;
}
