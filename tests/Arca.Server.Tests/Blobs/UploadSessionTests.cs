using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Arca.Server.Tests.Blobs;

public sealed class UploadSessionTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Admin => _server.Admin;

    private static string Header(HttpResponseMessage r, string name) => r.RawHeader(name) ?? "";

    private async Task<long> OffsetAsync(string location)
    {
        using var response = await Admin.GetAsync(location);
        await response.ExpectAsync(HttpStatusCode.NoContent);
        var offset = long.Parse(Header(response, "Upload-Offset"), CultureInfo.InvariantCulture);
        Assert.Equal("0-" + Math.Max(0, offset - 1).ToString(CultureInfo.InvariantCulture), Header(response, "Range"));
        Assert.Equal(location, response.Headers.Location!.OriginalString);
        return offset;
    }

    private async Task HeadAsync(string digest, HttpStatusCode expected, long? length = null)
    {
        using var head = await Admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/blobs/" + digest));
        Assert.Equal(expected, head.StatusCode);
        if (length is { } l)
        {
            Assert.Equal(l, head.Content.Headers.ContentLength);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Session_SeveralPatches_ReportProgressAndCommitTheExactBytes(bool withContentRange)
    {
        var bytes = BlobFixtures.RandomBytes(700_000, 1);
        var digest = BlobFixtures.Sha256(bytes);
        var location = await Admin.StartUploadAsync();
        Assert.Equal(0, await OffsetAsync(location));

        int[] cuts = [0, 1, 65_536, 300_001, 700_000];
        for (var i = 0; i + 1 < cuts.Length; i++)
        {
            var (a, b) = (cuts[i], cuts[i + 1]);
            using var patch = await Admin.PatchAsync(location, bytes.AsMemory(a, b - a), withContentRange ? $"{a}-{b - 1}" : null);
            await patch.ExpectAsync(HttpStatusCode.Accepted);
            Assert.Equal($"0-{b - 1}", Header(patch, "Range"));
            Assert.Equal(b.ToString(CultureInfo.InvariantCulture), Header(patch, "Upload-Offset"));
            Assert.Equal(location, patch.Headers.Location!.OriginalString);
            Assert.Equal(b, await OffsetAsync(location));
        }
        await HeadAsync(digest, HttpStatusCode.NotFound);

        using var put = await Admin.PutAsync($"{location}?digest={digest}", null);
        var info = await put.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(digest, info.Str("digest"));
        Assert.Equal(bytes.Length, info.Long("size"));
        Assert.Equal("/v1/blobs/" + digest, put.Headers.Location!.OriginalString);
        await HeadAsync(digest, HttpStatusCode.OK, bytes.Length);

        // The session is gone once committed.
        using var after = await Admin.GetAsync(location);
        await after.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        Assert.Empty(Directory.GetFiles(_server.Options.UploadsDir));
    }

    [Fact]
    public async Task Finish_WithAFinalBody_AppendsItBeforeVerifying()
    {
        var bytes = BlobFixtures.RandomBytes(200_000, 2);
        var digest = BlobFixtures.Sha256(bytes);
        var location = await Admin.StartUploadAsync();
        using (var patch = await Admin.PatchAsync(location, bytes.AsMemory(0, 120_000), "0-119999"))
        {
            await patch.ExpectAsync(HttpStatusCode.Accepted);
        }
        using var put = await Admin.PutAsync($"{location}?digest={digest}", BlobFixtures.Octets(bytes.AsMemory(120_000)));
        await put.ExpectAsync(HttpStatusCode.Created);
        await HeadAsync(digest, HttpStatusCode.OK, bytes.Length);
    }

    [Fact]
    public async Task Patch_OutOfOrder_Is416WithTheCurrentOffset()
    {
        var bytes = BlobFixtures.RandomBytes(100_000, 3);
        var location = await Admin.StartUploadAsync();
        using (var first = await Admin.PatchAsync(location, bytes.AsMemory(0, 40_000), "0-39999"))
        {
            await first.ExpectAsync(HttpStatusCode.Accepted);
        }
        foreach (var (start, end) in new[] { (50_000, 59_999), (0, 9_999), (39_999, 49_999) })
        {
            using var wrong = await Admin.PatchAsync(location, bytes.AsMemory(start, end - start + 1), $"{start}-{end}");
            var problem = await wrong.ExpectProblemAsync(HttpStatusCode.RequestedRangeNotSatisfiable, "UPLOAD_OFFSET_MISMATCH");
            Assert.Equal("40000", Header(wrong, "Upload-Offset"));
            Assert.Equal("0-39999", Header(wrong, "Range"));
            Assert.Contains("40000", problem.Str("detail"), StringComparison.Ordinal);
        }
        Assert.Equal(40_000, await OffsetAsync(location));

        using (var rest = await Admin.PatchAsync(location, bytes.AsMemory(40_000), "40000-99999"))
        {
            await rest.ExpectAsync(HttpStatusCode.Accepted);
        }
        using var put = await Admin.PutAsync($"{location}?digest={BlobFixtures.Sha256(bytes)}", null);
        await put.ExpectAsync(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("10")]
    [InlineData("-5")]
    [InlineData("5-")]
    [InlineData("9-3")]
    [InlineData("0x0-0x10")]
    [InlineData("bytes=0-9")]
    public async Task Patch_BadContentRange_Is400AndAppendsNothing(string contentRange)
    {
        var location = await Admin.StartUploadAsync();
        using var patch = await Admin.PatchAsync(location, new byte[10], contentRange);
        await patch.ExpectProblemAsync(HttpStatusCode.BadRequest, "CONTENT_RANGE_INVALID");
        Assert.Equal(0, await OffsetAsync(location));
    }

    [Fact]
    public async Task Patch_BodyLongerThanItsContentRange_Is400_KeepsTheDeclaredBytes()
    {
        var bytes = BlobFixtures.RandomBytes(30_000, 4);
        var location = await Admin.StartUploadAsync();
        using (var patch = await Admin.PatchAsync(location, bytes, "0-9999"))
        {
            await patch.ExpectProblemAsync(HttpStatusCode.BadRequest, "CONTENT_RANGE_INVALID");
            Assert.Equal("10000", Header(patch, "Upload-Offset"));
        }
        Assert.Equal(10_000, await OffsetAsync(location));
        using (var rest = await Admin.PatchAsync(location, bytes.AsMemory(10_000), "10000-29999"))
        {
            await rest.ExpectAsync(HttpStatusCode.Accepted);
        }
        using var put = await Admin.PutAsync($"{location}?digest={BlobFixtures.Sha256(bytes)}", null);
        await put.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Patch_Rfc9110ContentRange_IsAccepted()
    {
        var location = await Admin.StartUploadAsync();
        using var patch = await Admin.PatchAsync(location, new byte[10], "bytes 0-9/*");
        await patch.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(10, await OffsetAsync(location));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Finish_WrongDigest_Is400_NamesTheBytesDigest_StoresNothing_AndKeepsTheEndedSession(bool lastChunkInPut)
    {
        var bytes = BlobFixtures.RandomBytes(150_000, 4);
        var digest = BlobFixtures.Sha256(bytes);
        var location = await Admin.StartUploadAsync();
        var patched = lastChunkInPut ? 100_000 : bytes.Length;
        using (var patch = await Admin.PatchAsync(location, bytes.AsMemory(0, patched), null))
        {
            await patch.ExpectAsync(HttpStatusCode.Accepted);
        }
        var wrong = BlobFixtures.Sha256(Encoding.UTF8.GetBytes("something else"));
        using (var put = await Admin.PutAsync($"{location}?digest={wrong}",
            lastChunkInPut ? BlobFixtures.Octets(bytes.AsMemory(patched)) : null))
        {
            var problem = await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
            Assert.Contains($"hash to {digest}, not {wrong}", problem.Str("detail"), StringComparison.Ordinal);
            Assert.Equal("150000", Header(put, "Upload-Offset"));
        }
        await HeadAsync(digest, HttpStatusCode.NotFound);
        await HeadAsync(wrong, HttpStatusCode.NotFound);
        using (var recipe = await Admin.GetAsync($"/v1/blobs/{digest}/recipe"))
        {
            await recipe.ExpectProblemAsync(HttpStatusCode.NotFound, "BLOB_NOT_FOUND");
        }
        Assert.Equal(150_000, await OffsetAsync(location)); // still there, ended

        // An ended upload takes no more bytes, by PATCH or with a PUT.
        using (var more = await Admin.PatchAsync(location, new byte[10], "150000-150009"))
        {
            await more.ExpectProblemAsync(HttpStatusCode.Conflict, "UPLOAD_COMPLETED");
        }
        using (var moreInPut = await Admin.PutAsync($"{location}?digest={digest}", BlobFixtures.Octets(new byte[10])))
        {
            await moreInPut.ExpectProblemAsync(HttpStatusCode.Conflict, "UPLOAD_COMPLETED");
        }
        using (var wrongAgain = await Admin.PutAsync($"{location}?digest={wrong}", null))
        {
            await wrongAgain.ExpectProblemAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }

        // The right digest stores the same bytes, and ends the session.
        using (var put = await Admin.PutAsync($"{location}?digest={digest}", null))
        {
            var info = await put.ExpectAsync(HttpStatusCode.Created);
            Assert.Equal(digest, info.Str("digest"));
            Assert.Equal(bytes.Length, info.Long("size"));
        }
        await HeadAsync(digest, HttpStatusCode.OK, bytes.Length);
        var recipeChunks = await Admin.RecipeAsync(digest);
        Assert.Equal(bytes.Length, recipeChunks.Sum(c => (long)c.Length));
        using var get = await Admin.GetAsync(location);
        await get.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        Assert.Empty(Directory.GetFiles(_server.Options.UploadsDir));
    }

    [Fact]
    public async Task Finish_WrongDigest_ThenDelete_DiscardsTheBytes()
    {
        var bytes = BlobFixtures.RandomBytes(90_000, 14);
        var digest = BlobFixtures.Sha256(bytes);
        var location = await Admin.StartUploadAsync();
        using (var put = await Admin.PutAsync($"{location}?digest={BlobFixtures.Sha256(bytes.AsSpan(1))}", BlobFixtures.Octets(bytes)))
        {
            await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        using (var delete = await Admin.DeleteAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        using (var get = await Admin.GetAsync(location))
        {
            await get.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        }
        await HeadAsync(digest, HttpStatusCode.NotFound);
        Assert.Empty(Directory.GetFiles(_server.Options.UploadsDir));
    }

    [Fact]
    public async Task Finish_MalformedDigest_Is400AndKeepsTheSession()
    {
        var location = await Admin.StartUploadAsync();
        using (var put = await Admin.PutAsync($"{location}?digest=sha256:XYZ", null))
        {
            await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "INVALID_DIGEST");
        }
        using (var missing = await Admin.PutAsync(location, null))
        {
            await missing.ExpectProblemAsync(HttpStatusCode.BadRequest, "INVALID_DIGEST");
        }
        Assert.Equal(0, await OffsetAsync(location));
    }

    [Fact]
    public async Task Delete_EndsTheSessionAndRemovesItsMarker()
    {
        var location = await Admin.StartUploadAsync();
        var id = location[(location.LastIndexOf('/') + 1)..];
        Assert.True(File.Exists(Path.Combine(_server.Options.UploadsDir, id)));
        using (var patch = await Admin.PatchAsync(location, new byte[1000], null))
        {
            await patch.ExpectAsync(HttpStatusCode.Accepted);
        }
        using (var delete = await Admin.DeleteAsync(location))
        {
            await delete.ExpectAsync(HttpStatusCode.NoContent);
        }
        Assert.False(File.Exists(Path.Combine(_server.Options.UploadsDir, id)));
        using (var get = await Admin.GetAsync(location))
        {
            await get.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        }
        using (var again = await Admin.DeleteAsync(location))
        {
            await again.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        }
        using var put = await Admin.PutAsync($"{location}?digest={BlobFixtures.Sha256(new byte[1000])}", null);
        await put.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
    }

    [Fact]
    public async Task UnknownSession_Is404UploadNotFound_ForEveryMethod()
    {
        const string location = "/v1/blobs/uploads/00000000000000000000000000000000";
        using (var get = await Admin.GetAsync(location))
        {
            await get.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        }
        using (var patch = await Admin.PatchAsync(location, new byte[3], "0-2"))
        {
            await patch.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        }
        using (var put = await Admin.PutAsync($"{location}?digest={BlobFixtures.Sha256([])}", null))
        {
            await put.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        }
        using var delete = await Admin.DeleteAsync(location);
        await delete.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
    }

    [Fact]
    public async Task Patch_ClientDisconnectsMidBody_GetShowsTheOffset_AndTheUploadResumesFromThere()
    {
        var bytes = BlobFixtures.RandomBytes(4_000_000, 5);
        var digest = BlobFixtures.Sha256(bytes);
        var location = await Admin.StartUploadAsync();
        using (var first = await Admin.PatchAsync(location, bytes.AsMemory(0, 100_000), "0-99999"))
        {
            await first.ExpectAsync(HttpStatusCode.Accepted);
        }

        // Announce the whole rest, send 2.5 MB of it, then vanish.
        const int sent = 2_500_000;
        var uri = new Uri(_server.Host.ControlUrl);
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(uri.Host, uri.Port);
            var stream = tcp.GetStream();
            var head = $"PATCH {location} HTTP/1.1\r\nHost: {uri.Authority}\r\nAuthorization: Bearer {_server.AdminToken}\r\n" +
                $"Content-Type: application/octet-stream\r\nContent-Range: 100000-{bytes.Length - 1}\r\n" +
                $"Content-Length: {bytes.Length - 100_000}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(bytes.AsMemory(100_000, sent));
            await stream.FlushAsync();
            await Task.Delay(200);
            tcp.Client.Close(0);
        }

        // GET waits for the aborted PATCH to let go of the session, then reports what was kept.
        var offset = await OffsetAsync(location);
        Assert.InRange(offset, 100_000, 100_000 + sent);
        Assert.True(offset > 100_000, $"nothing of the {sent} bytes that arrived was kept");

        using (var rest = await Admin.PatchAsync(location, bytes.AsMemory((int)offset), $"{offset}-{bytes.Length - 1}"))
        {
            await rest.ExpectAsync(HttpStatusCode.Accepted);
            Assert.Equal(bytes.Length.ToString(CultureInfo.InvariantCulture), Header(rest, "Upload-Offset"));
        }
        using var put = await Admin.PutAsync($"{location}?digest={digest}", null);
        await put.ExpectAsync(HttpStatusCode.Created);
        await HeadAsync(digest, HttpStatusCode.OK, bytes.Length);
    }

    [Fact]
    public async Task Bodies_LargerThanMaxBodyBytes_AreAcceptedByTheUploadEndpoints()
    {
        await using var server = await TestServer.StartAsync(o => o with { MaxBodyBytes = 64 * 1024 });
        var client = server.Admin;

        // The limit still applies to JSON endpoints.
        using (var json = await client.PostJsonAsync("/v1/models", $$"""{"name":"m","description":"{{new string('x', 100_000)}}"}"""))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, json.StatusCode);
        }

        var big = BlobFixtures.RandomBytes(1_000_000, 6);
        var location = await client.StartUploadAsync();
        using (var patch = await client.PatchAsync(location, big.AsMemory(0, 600_000), "0-599999"))
        {
            await patch.ExpectAsync(HttpStatusCode.Accepted);
        }
        using (var put = await client.PutAsync($"{location}?digest={BlobFixtures.Sha256(big)}", BlobFixtures.Octets(big.AsMemory(600_000))))
        {
            await put.ExpectAsync(HttpStatusCode.Created);
        }
        var other = BlobFixtures.RandomBytes(500_000, 7);
        var info = await client.PutBlobAsync(other);
        Assert.Equal(other.Length, info.Long("size"));
    }

    [Fact]
    public async Task Session_IdleLongerThanTheTtl_IsSweptWithItsMarker()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)) { ManualTimers = true };
        await using var server = await TestServer.StartAsync(o => o with { UploadSessionTtlSeconds = 60 }, clock);
        var client = server.Admin;
        var idle = await client.StartUploadAsync();
        var busy = await client.StartUploadAsync();
        var idleMarker = Path.Combine(server.Options.UploadsDir, idle[(idle.LastIndexOf('/') + 1)..]);
        var busyMarker = Path.Combine(server.Options.UploadsDir, busy[(busy.LastIndexOf('/') + 1)..]);
        Assert.True(File.Exists(idleMarker));

        clock.Advance(TimeSpan.FromSeconds(45));
        using (var patch = await client.PatchAsync(busy, new byte[10], "0-9"))
        {
            await patch.ExpectAsync(HttpStatusCode.Accepted);
        }
        clock.Advance(TimeSpan.FromSeconds(30)); // idle: 75 s without activity; busy: 30 s

        Assert.False(File.Exists(idleMarker));
        using (var gone = await client.GetAsync(idle))
        {
            await gone.ExpectProblemAsync(HttpStatusCode.NotFound, "UPLOAD_NOT_FOUND");
        }
        Assert.True(File.Exists(busyMarker));
        using (var alive = await client.GetAsync(busy))
        {
            await alive.ExpectAsync(HttpStatusCode.NoContent);
        }

        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.False(File.Exists(busyMarker));
        Assert.Empty(Directory.GetFiles(server.Options.UploadsDir));
    }

    [Fact]
    public async Task Monolithic_Put_StoresTheBlob_AndWrongDigestStoresNothing()
    {
        var bytes = BlobFixtures.RandomBytes(300_000, 8);
        var digest = BlobFixtures.Sha256(bytes);
        var wrong = BlobFixtures.Sha256(bytes.AsSpan(1));
        using (var bad = await Admin.PutAsync("/v1/blobs?digest=" + wrong, BlobFixtures.Octets(bytes)))
        {
            var problem = await bad.ExpectProblemAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
            Assert.Equal($"the 300000 uploaded bytes hash to {digest}, not {wrong}; nothing was stored", problem.Str("detail"));
        }
        await HeadAsync(digest, HttpStatusCode.NotFound);
        await HeadAsync(wrong, HttpStatusCode.NotFound);

        using (var noDigest = await Admin.PutAsync("/v1/blobs", BlobFixtures.Octets(bytes)))
        {
            await noDigest.ExpectProblemAsync(HttpStatusCode.BadRequest, "INVALID_DIGEST");
        }

        using var put = await Admin.PutAsync($"/v1/blobs?digest={digest}&media_type=application/x-test", BlobFixtures.Octets(bytes));
        var info = await put.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(digest, info.Str("digest"));
        Assert.Equal(bytes.Length, info.Long("size"));
        Assert.Equal("application/x-test", info.Str("media_type"));
        Assert.Equal(bytes.Length, info.Long("new_bytes"));
        Assert.Equal(digest, put.RawHeader("Docker-Content-Digest"));
        await HeadAsync(digest, HttpStatusCode.OK, bytes.Length);

        var recipe = await Admin.RecipeAsync(digest);
        Assert.True(recipe.Length > 1);
        Assert.Equal(bytes.Length, recipe.Sum(c => (long)c.Length));
        for (var i = 0; i < recipe.Length; i++)
        {
            Assert.Equal(i == 0 ? 0 : recipe[i - 1].Offset + recipe[i - 1].Length, recipe[i].Offset);
            Assert.Equal(BlobFixtures.Sha256(bytes.AsSpan((int)recipe[i].Offset, recipe[i].Length)), recipe[i].Digest);
        }
    }

    [Fact]
    public async Task Put_EmptyBlob_IsStored()
    {
        var digest = BlobFixtures.Sha256([]);
        var info = await Admin.PutBlobAsync([]);
        Assert.Equal(0, info.Long("size"));
        await HeadAsync(digest, HttpStatusCode.OK, 0);
    }

    [Fact]
    public async Task Reupload_OfIdenticalBytes_ReportsNoNewBytes()
    {
        var bytes = BlobFixtures.RandomBytes(500_000, 9);
        var first = await Admin.PutBlobAsync(bytes);
        Assert.Equal(bytes.Length, first.Long("new_bytes"));

        var again = await Admin.PutBlobAsync(bytes);
        Assert.Equal(0, again.Long("new_bytes"));

        var location = await Admin.StartUploadAsync();
        using (var patch = await Admin.PatchAsync(location, bytes, null))
        {
            await patch.ExpectAsync(HttpStatusCode.Accepted);
        }
        using var put = await Admin.PutAsync($"{location}?digest={BlobFixtures.Sha256(bytes)}", null);
        Assert.Equal(0, (await put.ExpectAsync(HttpStatusCode.Created)).Long("new_bytes"));
    }

    [Fact]
    public async Task Upload_SharingMostBytesWithAStoredBlob_ReportsFewNewBytes()
    {
        var original = BlobFixtures.RandomBytes(2_000_000, 10);
        await Admin.PutBlobAsync(original);

        // A fine-tune: a few bytes changed in the middle and 1000 bytes inserted near the start.
        var edited = new byte[original.Length + 1000];
        original.AsSpan(0, 300_000).CopyTo(edited);
        BlobFixtures.RandomBytes(1000, 11).CopyTo(edited, 300_000);
        original.AsSpan(300_000).CopyTo(edited.AsSpan(301_000));
        edited[1_200_000] ^= 0xFF;

        var info = await Admin.PutBlobAsync(edited);
        var newBytes = info.Long("new_bytes");
        Assert.InRange(newBytes, 1, edited.Length / 10);

        // new_bytes is exactly the bytes of the edited blob's chunks the original lacks.
        var known = (await Admin.RecipeAsync(BlobFixtures.Sha256(original))).Select(c => c.Digest).ToHashSet();
        var fresh = (await Admin.RecipeAsync(BlobFixtures.Sha256(edited))).Where(c => !known.Contains(c.Digest))
            .DistinctBy(c => c.Digest).Sum(c => (long)c.Length);
        Assert.Equal(fresh, newBytes);
    }
}
