using Arca.DataPlane.Tests.Support;

namespace Arca.DataPlane.Tests;

public sealed class UrlSignerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("arca-signer-").FullName;
    private readonly FakeTime _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Key_file_is_created_with_mode_0600_in_a_new_directory_and_reused()
    {
        var path = Path.Combine(_dir, "keys", "nested", "url.key");
        var first = UrlSigner.LoadOrCreate(path, _time);
        var url = first.Sign("/blobs/sha256/x", TimeSpan.FromMinutes(1), out var expires);

        Assert.Equal(32, new FileInfo(path).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
        var second = UrlSigner.LoadOrCreate(path, _time);
        Assert.Equal(url, second.Sign("/blobs/sha256/x", TimeSpan.FromMinutes(1), out _));
        Assert.Equal(_time.Now.AddMinutes(1), expires);
    }

    [Fact]
    public void Signature_verifies_until_expiry_and_not_after()
    {
        var signer = UrlSigner.LoadOrCreate(Path.Combine(_dir, "k"), _time);
        var (exp, sig) = Split(signer.Sign("/p", TimeSpan.FromSeconds(60), out _));

        Assert.True(signer.Verify("GET", "/p", exp, sig));
        Assert.True(signer.Verify("HEAD", "/p", exp, sig));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(signer.Verify("GET", "/p", exp, sig));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(signer.Verify("GET", "/p", exp, sig));
    }

    [Fact]
    public void Anything_changed_fails()
    {
        var signer = UrlSigner.LoadOrCreate(Path.Combine(_dir, "k"), _time);
        var (exp, sig) = Split(signer.Sign("/p", TimeSpan.FromSeconds(60), out _));
        var other = UrlSigner.LoadOrCreate(Path.Combine(_dir, "other"), _time);

        Assert.False(signer.Verify("GET", "/q", exp, sig));
        Assert.False(signer.Verify("PUT", "/p", exp, sig));
        Assert.False(signer.Verify("GET", "/p", (long.Parse(exp) + 1).ToString(), sig));
        Assert.False(signer.Verify("GET", "/p", exp, sig[..^1] + (sig[^1] == 'A' ? 'B' : 'A')));
        Assert.False(signer.Verify("GET", "/p", exp, sig + "A"));
        Assert.False(signer.Verify("GET", "/p", exp, null));
        Assert.False(signer.Verify("GET", "/p", null, sig));
        Assert.False(signer.Verify("GET", "/p", "-1", sig));
        Assert.False(signer.Verify("GET", "/p", " " + exp, sig));
        Assert.False(other.Verify("GET", "/p", exp, sig));
    }

    [Fact]
    public void Short_key_file_is_rejected()
    {
        var path = Path.Combine(_dir, "short");
        File.WriteAllBytes(path, new byte[8]);

        Assert.Throws<InvalidDataException>(() => UrlSigner.LoadOrCreate(path, _time));
    }

    [Theory]
    [InlineData("relative")]
    [InlineData("/p?x=1")]
    public void Sign_rejects_paths_that_are_not_absolute_without_query(string path)
    {
        var signer = UrlSigner.LoadOrCreate(Path.Combine(_dir, "k"), _time);

        Assert.Throws<ArgumentException>(() => signer.Sign(path, TimeSpan.FromMinutes(1), out _));
    }

    private static (string Exp, string Sig) Split(string url)
    {
        var query = url[(url.IndexOf('?') + 1)..].Split('&');
        return (query[0]["exp=".Length..], query[1]["sig=".Length..]);
    }
}
