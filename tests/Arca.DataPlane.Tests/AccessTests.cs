using Arca.DataPlane.Tests.Support;

namespace Arca.DataPlane.Tests;

/// <summary>Presigned URLs (with a fake wall clock) and bearer tokens; each test owns its server because it moves time.</summary>
public sealed class AccessTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public Task InitializeAsync()
    {
        _server = TestServer.Start(largeBytes: 1 << 20);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Presigned_url_is_served_without_a_token()
    {
        var blob = _server.Content.Split;
        var url = _server.Signer.Sign(blob.Path, TimeSpan.FromMinutes(10), out var expires);
        var response = await Curl.RunAsync(_server.BaseUrl + url);

        Assert.Equal(200, response.Status);
        Assert.Equal(blob.Bytes, response.Body);
        Assert.Equal(_server.Time.Now.AddMinutes(10).ToUnixTimeSeconds(), expires.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Presigned_url_with_extra_query_parameters_is_still_valid()
    {
        var blob = _server.Content.Single;
        var url = _server.Signer.Sign(blob.Path, TimeSpan.FromMinutes(10), out _);
        var response = await Curl.RunAsync($"{_server.BaseUrl}{url}&x-cache-buster=1&flag");

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Expired_presigned_url_is_403()
    {
        var url = _server.Signer.Sign(_server.Content.Single.Path, TimeSpan.FromMinutes(10), out _);
        _server.Time.Advance(TimeSpan.FromMinutes(10));
        var response = await Curl.RunAsync(_server.BaseUrl + url);

        Assert.Equal(403, response.Status);
    }

    [Fact]
    public async Task Presigned_url_for_another_path_is_403()
    {
        var url = _server.Signer.Sign(_server.Content.Single.Path, TimeSpan.FromMinutes(10), out _);
        var query = url[url.IndexOf('?')..];
        var response = await Curl.RunAsync(_server.BaseUrl + _server.Content.Split.Path + query);

        Assert.Equal(403, response.Status);
    }

    [Theory]
    [InlineData("sig")]
    [InlineData("exp")]
    public async Task Tampered_signature_or_expiry_is_403(string part)
    {
        var url = _server.Signer.Sign(_server.Content.Single.Path, TimeSpan.FromMinutes(10), out _);
        var tampered = part == "sig"
            ? url[..^1] + (url[^1] == 'A' ? 'B' : 'A')
            : url.Replace("exp=", "exp=1", StringComparison.Ordinal);
        var response = await Curl.RunAsync(_server.BaseUrl + tampered);

        Assert.Equal(403, response.Status);
    }

    [Fact]
    public async Task Head_accepts_a_GET_signature()
    {
        var blob = _server.Content.Single;
        var url = _server.Signer.Sign(blob.Path, TimeSpan.FromMinutes(10), out _);
        var response = await Curl.RunAsync("-I", _server.BaseUrl + url);

        Assert.Equal(200, response.Status);
        Assert.Equal(blob.Bytes.Length.ToString(), response.Header("Content-Length"));
    }

    [Fact]
    public async Task Presigned_range_request_works()
    {
        var blob = _server.Content.Split;
        var url = _server.Signer.Sign(blob.Path, TimeSpan.FromMinutes(10), out _);
        var response = await Curl.RunAsync("-r", "100-199", _server.BaseUrl + url);

        Assert.Equal(206, response.Status);
        Assert.Equal(blob.Bytes[100..200], response.Body);
    }

    [Fact]
    public async Task Bearer_token_accepted()
    {
        var response = await Curl.RunAsync("-H", $"Authorization: Bearer {TestServer.GoodToken}", _server.BaseUrl + _server.Content.Single.Path);

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Bearer_scheme_is_case_insensitive()
    {
        var response = await Curl.RunAsync("-H", $"Authorization: bearer {TestServer.GoodToken}", _server.BaseUrl + _server.Content.Single.Path);

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Rejected_bearer_token_is_403()
    {
        var response = await Curl.RunAsync("-H", "Authorization: Bearer wrong", _server.BaseUrl + _server.Content.Single.Path);

        Assert.Equal(403, response.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    public async Task Missing_credentials_are_401_with_a_Bearer_challenge(string? authorization)
    {
        var args = new List<string>();
        if (authorization is not null)
        {
            args.AddRange(["-H", $"Authorization: {authorization}"]);
        }
        args.Add(_server.BaseUrl + _server.Content.Single.Path);
        var response = await Curl.RunAsync([.. args]);

        Assert.Equal(401, response.Status);
        Assert.StartsWith("Bearer", response.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task Credentials_are_checked_before_the_store_is_asked()
    {
        var before = _server.Content.Lookups;
        var denied = await Curl.RunAsync($"{_server.BaseUrl}/blobs/sha256/{TestContent.MissingHex}");

        Assert.Equal(401, denied.Status);
        Assert.Equal(before, _server.Content.Lookups);
    }

    [Fact]
    public async Task Valid_bearer_rescues_a_bad_signature_and_vice_versa()
    {
        var path = _server.Content.Single.Path;
        var url = _server.Signer.Sign(path, TimeSpan.FromMinutes(10), out _);
        var badSigGoodToken = await Curl.RunAsync("-H", $"Authorization: Bearer {TestServer.GoodToken}", $"{_server.BaseUrl}{path}?exp=1&sig=x");
        var goodSigBadToken = await Curl.RunAsync("-H", "Authorization: Bearer wrong", _server.BaseUrl + url);

        Assert.Equal(200, badSigGoodToken.Status);
        Assert.Equal(200, goodSigBadToken.Status);
    }
}
