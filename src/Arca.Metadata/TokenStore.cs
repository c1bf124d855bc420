using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Arca.Metadata;

/// <summary>
/// Bearer tokens <c>arca_&lt;id&gt;_&lt;secret&gt;</c>. Only a SHA-256 of each token is stored; active tokens are kept
/// in memory by id so that authenticating a request costs one hash and no query, and none for a token that already
/// matched (compared in constant time with the one remembered; forgotten when the token is revoked).
/// </summary>
public sealed class TokenStore
{
    private const string Prefix = "arca_";
    private const int IdLength = 12;

    private readonly MetadataDatabase _db;
    private readonly ConcurrentDictionary<string, Active> _active = new(StringComparer.Ordinal);

    public TokenStore(MetadataDatabase db)
    {
        _db = db;
        using var c = db.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, name, hash, roles, models_glob FROM tokens WHERE revoked_at IS NULL";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            Principal.TryParseRoles(r.GetString(3).Split(','), out var roles, out _);
            _active[r.GetString(0)] = new Active((byte[])r.GetValue(2), new Principal(r.GetString(0), r.GetString(1), roles, r.GetString(4)));
        }
    }

    public Principal? Authenticate(string token)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length < Prefix.Length + IdLength + 2
            || token[Prefix.Length + IdLength] != '_')
        {
            return null;
        }
        var id = token.Substring(Prefix.Length, IdLength);
        if (!_active.TryGetValue(id, out var entry))
        {
            return null;
        }
        if (entry.Matched is { } matched && matched.Length == token.Length
            && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(matched.AsSpan()), MemoryMarshal.AsBytes(token.AsSpan())))
        {
            return entry.Principal;
        }
        if (!CryptographicOperations.FixedTimeEquals(Hash(token), entry.Hash))
        {
            return null;
        }
        entry.Matched = token;
        return entry.Principal;
    }

    /// <summary>An active token: its stored hash, who it is, and the token text that last matched the hash.</summary>
    private sealed class Active(byte[] hash, Principal principal)
    {
        public byte[] Hash { get; } = hash;

        public Principal Principal { get; } = principal;

        public volatile string? Matched;
    }

    public Task<StoreResult<(TokenInfo Info, string Token)>> CreateAsync(string actor, string name, Roles roles, string modelsGlob)
    {
        if (name.Length is 0 or > 128 || modelsGlob.Length is 0 or > 256)
        {
            return Task.FromResult(StoreResult<(TokenInfo, string)>.Fail(StoreError.InvalidArgument,
                "token name must be 1..128 characters and the models glob 1..256"));
        }
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2));
        var token = Prefix + id + "_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var hash = Hash(token);
        var roleText = string.Join(',', Principal.RoleNames(roles));
        return _db.WriteAsync(actor, ctx =>
        {
            using (var cmd = ctx.Command("INSERT INTO tokens(id, name, hash, roles, models_glob, created_by, created_at) " +
                "VALUES($id, $name, $hash, $roles, $glob, $by, $now)"))
            {
                cmd.Parameters.AddWithValue("$id", id);
                cmd.Parameters.AddWithValue("$name", name);
                cmd.Parameters.AddWithValue("$hash", hash);
                cmd.Parameters.AddWithValue("$roles", roleText);
                cmd.Parameters.AddWithValue("$glob", modelsGlob);
                cmd.Parameters.AddWithValue("$by", ctx.Actor);
                cmd.Parameters.AddWithValue("$now", ctx.NowText);
                cmd.ExecuteNonQuery();
            }
            var info = Get(ctx.Connection, id)!;
            var json = JsonSerializer.Serialize(info, MetadataJson.Default.TokenInfo);
            ctx.AppendAudit("token.create", "token/" + id, null, json, "");
            ctx.AfterCommit(() => _active[id] = new Active(hash, new Principal(id, name, roles, modelsGlob)));
            return StoreResult<(TokenInfo, string)>.Ok((info, token));
        });
    }

    public Task<StoreResult<TokenInfo>> RevokeAsync(string actor, string id) =>
        _db.WriteAsync(actor, ctx =>
        {
            var before = Get(ctx.Connection, id);
            if (before is null)
            {
                return StoreResult<TokenInfo>.Fail(StoreError.TokenNotFound, $"token '{id}' does not exist");
            }
            if (before.RevokedAt is not null)
            {
                return before;
            }
            using (var cmd = ctx.Command("UPDATE tokens SET revoked_at = $now WHERE id = $id"))
            {
                cmd.Parameters.AddWithValue("$id", id);
                cmd.Parameters.AddWithValue("$now", ctx.NowText);
                cmd.ExecuteNonQuery();
            }
            var after = Get(ctx.Connection, id)!;
            ctx.AppendAudit("token.revoke", "token/" + id, JsonSerializer.Serialize(before, MetadataJson.Default.TokenInfo),
                JsonSerializer.Serialize(after, MetadataJson.Default.TokenInfo), "");
            // On the event stream too (the id and name, never the secret): seeders and edges follow it and stop
            // accepting the token at once instead of at their next periodic re-check.
            ctx.AppendEvent("token.revoked", null, JsonSerializer.Serialize(
                new Dictionary<string, string> { ["id"] = after.Id, ["name"] = after.Name }, MetadataJson.Default.DictionaryStringString));
            ctx.AfterCommit(() => _active.TryRemove(id, out _));
            return after;
        });

    public IReadOnlyList<TokenInfo> List()
    {
        using var c = _db.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, name, roles, models_glob, created_by, created_at, revoked_at FROM tokens ORDER BY created_at, id";
        var list = new List<TokenInfo>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(Read(r));
        }
        return list;
    }

    /// <summary>
    /// On a store with no token at all, creates an admin token and writes it to <paramref name="path"/> (mode 0600).
    /// Returns true when it did.
    /// </summary>
    public async Task<bool> EnsureBootstrapAsync(string path)
    {
        using (var c = _db.OpenRead())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*) FROM tokens";
            if ((long)cmd.ExecuteScalar()! > 0)
            {
                return false;
            }
        }
        var created = await CreateAsync("system", "bootstrap-admin", Roles.Admin, "*").ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        using (var f = new FileStream(tmp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            f.Write(Encoding.UTF8.GetBytes(created.Value.Token + "\n"));
            f.Flush(flushToDisk: true);
        }
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
        return true;
    }

    private static TokenInfo? Get(SqliteConnection c, string id)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, name, roles, models_glob, created_by, created_at, revoked_at FROM tokens WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    private static TokenInfo Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Roles = r.GetString(2).Split(','),
        Models = r.GetString(3),
        CreatedBy = r.GetString(4),
        CreatedAt = Timestamps.Parse(r.GetString(5)),
        RevokedAt = r.IsDBNull(6) ? null : Timestamps.Parse(r.GetString(6)),
    };

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
