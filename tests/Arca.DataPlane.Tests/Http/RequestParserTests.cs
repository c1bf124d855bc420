using System.Text;
using Arca.DataPlane.Http;

namespace Arca.DataPlane.Tests.Http;

public sealed class RequestParserTests
{
    private static RequestParser NewParser() => new(8192, 32 * 1024, 64);

    [Fact]
    public void Parses_the_fields_the_data_plane_uses()
    {
        var bytes = Encoding.ASCII.GetBytes(
            "GET /blobs/sha256/abc?exp=1&sig=x HTTP/1.1\r\nHost: h\r\nrange: bytes=0-1\r\nIf-None-Match: \"a\"\r\nIF-NONE-MATCH: \"b\"\r\n"
            + "If-Range: \"c\"\r\nAuthorization:  Bearer t \r\nConnection: keep-alive, Upgrade\r\n\r\nGET /next");
        var head = new RequestHead();
        var parser = NewParser();
        parser.Reset(head);

        Assert.Equal(ParseStatus.Complete, parser.Parse(bytes, head));
        Assert.Equal(HttpMethodKind.Get, head.Method);
        Assert.Equal("/blobs/sha256/abc", head.Path);
        Assert.Equal("exp=1&sig=x", head.Query);
        Assert.Equal("bytes=0-1", head.Range);
        Assert.Equal("\"a\", \"b\"", head.IfNoneMatch);
        Assert.Equal("\"c\"", head.IfRange);
        Assert.Equal("Bearer t", head.Authorization);
        Assert.True(head.KeepAlive);
        Assert.Equal(bytes.Length - "GET /next".Length, parser.Consumed);
    }

    [Fact]
    public void Resumes_when_fed_one_byte_at_a_time()
    {
        var bytes = Encoding.ASCII.GetBytes("HEAD /x HTTP/1.0\r\nConnection: Keep-Alive\r\nRange: bytes=1-2\r\n\r\n");
        var head = new RequestHead();
        var parser = NewParser();
        parser.Reset(head);

        for (var i = 1; i < bytes.Length; i++)
        {
            Assert.Equal(ParseStatus.Incomplete, parser.Parse(bytes.AsSpan(0, i), head));
        }
        Assert.Equal(ParseStatus.Complete, parser.Parse(bytes, head));
        Assert.Equal(HttpMethodKind.Head, head.Method);
        Assert.Equal(0, head.MinorVersion);
        Assert.True(head.KeepAlive);
        Assert.Equal("bytes=1-2", head.Range);
    }

    [Theory]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\n\r\n", true)]
    [InlineData("GET /x HTTP/1.0\r\n\r\n", false)]
    [InlineData("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true)]
    public void Keep_alive_follows_version_and_Connection(string request, bool keepAlive)
    {
        var head = new RequestHead();
        var parser = NewParser();
        parser.Reset(head);

        Assert.Equal(ParseStatus.Complete, parser.Parse(Encoding.ASCII.GetBytes(request), head));
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Fact]
    public void Repeated_Range_is_flagged_so_it_is_ignored()
    {
        var head = new RequestHead();
        var parser = NewParser();
        parser.Reset(head);

        Assert.Equal(ParseStatus.Complete, parser.Parse("GET /x HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n"u8, head));
        Assert.True(head.RangeRepeated);
    }

    [Theory]
    [InlineData(100, 414)]
    [InlineData(101, 414)]
    public void Request_line_limit_trips_before_the_line_ends(int length, int status)
    {
        var parser = new RequestParser(64, 1024, 8);
        var head = new RequestHead();
        parser.Reset(head);
        var partial = Encoding.ASCII.GetBytes("GET /" + new string('a', length));

        Assert.Equal(ParseStatus.Error, parser.Parse(partial, head));
        Assert.Equal(status, parser.ErrorStatus);
    }

    [Fact]
    public void Request_line_exactly_at_the_limit_is_accepted()
    {
        var parser = new RequestParser(64, 1024, 8);
        var head = new RequestHead();
        parser.Reset(head);
        var line = "GET /" + new string('a', 64 - "GET / HTTP/1.1".Length) + " HTTP/1.1";
        Assert.Equal(64, line.Length);

        Assert.Equal(ParseStatus.Incomplete, parser.Parse(Encoding.ASCII.GetBytes(line + "\r"), head));
        Assert.Equal(ParseStatus.Complete, parser.Parse(Encoding.ASCII.GetBytes(line + "\r\nHost: h\r\n\r\n"), head));
    }

    [Fact]
    public void Header_section_limit_trips_while_incomplete()
    {
        var parser = new RequestParser(64, 100, 8);
        var head = new RequestHead();
        parser.Reset(head);

        Assert.Equal(ParseStatus.Error, parser.Parse(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX: " + new string('a', 120)), head));
        Assert.Equal(431, parser.ErrorStatus);
    }
}
