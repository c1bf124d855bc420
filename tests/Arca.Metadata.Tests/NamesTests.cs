namespace Arca.Metadata.Tests;

public sealed class NamesTests
{
    [Theory]
    [InlineData("bert", true)]
    [InlineData("bert-base.v2_x", true)]
    [InlineData("0model", true)]
    [InlineData("team/bert", true)]
    [InlineData("Bert", false)]
    [InlineData("-bert", false)]
    [InlineData(".bert", false)]
    [InlineData("", false)]
    [InlineData("team/", false)]
    [InlineData("/bert", false)]
    [InlineData("a/b/c", false)]
    [InlineData("team/versions", false)]
    [InlineData("team/aliases", false)]
    [InlineData("bert base", false)]
    [InlineData("bért", false)]
    [InlineData("a~b", false)]
    public void IsValidModelName(string name, bool valid) => Assert.Equal(valid, Names.IsValidModelName(name));

    [Fact]
    public void IsValidModelName_LengthLimitIs128PerSegment()
    {
        Assert.True(Names.IsValidModelName(new string('a', 128)));
        Assert.False(Names.IsValidModelName(new string('a', 129)));
        Assert.True(Names.IsValidModelName("t/" + new string('a', 128)));
    }

    [Theory]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("sha256:0123456789abcdef", false)]
    [InlineData("sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", false)]
    public void IsValidDigest(string digest, bool valid) => Assert.Equal(valid, Names.IsValidDigest(digest));

    [Theory]
    [InlineData("*", "anything/at-all", true)]
    [InlineData("team/*", "team/bert", true)]
    [InlineData("team/*", "other/bert", false)]
    [InlineData("bert-?", "bert-1", true)]
    [InlineData("bert-?", "bert-12", false)]
    [InlineData("bert", "bert", true)]
    [InlineData("bert", "bert2", false)]
    [InlineData("*-prod", "llama-prod", true)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    public void Glob_IsMatch(string pattern, string name, bool match) => Assert.Equal(match, Glob.IsMatch(pattern, name));

    [Theory]
    [InlineData(Roles.Read, Roles.Read, true)]
    [InlineData(Roles.Read, Roles.Write, false)]
    [InlineData(Roles.Write, Roles.Read, true)]
    [InlineData(Roles.Write, Roles.Promote, false)]
    [InlineData(Roles.Promote, Roles.Promote, true)]
    [InlineData(Roles.Promote, Roles.Write, false)]
    [InlineData(Roles.Admin, Roles.Promote, true)]
    [InlineData(Roles.Admin, Roles.Write, true)]
    [InlineData(Roles.Write | Roles.Promote, Roles.Promote, true)]
    public void Principal_Allows_RoleImplications(Roles has, Roles needed, bool allowed) =>
        Assert.Equal(allowed, new Principal("id", "t", has, "*").Allows(needed, "m"));

    [Fact]
    public void Principal_Allows_RespectsScope()
    {
        var p = new Principal("id", "t", Roles.Admin, "team/*");
        Assert.True(p.Allows(Roles.Write, "team/bert"));
        Assert.False(p.Allows(Roles.Read, "bert"));
    }
}
