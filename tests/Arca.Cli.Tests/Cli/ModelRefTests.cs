namespace Arca.Cli.Tests.Cli;

public sealed class ModelRefTests
{
    [Theory]
    [InlineData("qa", "qa", null, null)]
    [InlineData("team/qa", "team/qa", null, null)]
    [InlineData("qa:7", "qa", 7L, null)]
    [InlineData("team/qa:12", "team/qa", 12L, null)]
    [InlineData("qa@prod", "qa", null, "prod")]
    [InlineData("team/qa@canary-eu", "team/qa", null, "canary-eu")]
    [InlineData("team/qa.v2_x@prod.1", "team/qa.v2_x", null, "prod.1")]
    public void TryParse_ValidReference_SplitsNameVersionAndAlias(string text, string name, long? version, string? alias)
    {
        Assert.True(ModelRef.TryParse(text, out var reference, out var error), error);

        Assert.Equal(new ModelRef(name, version, alias), reference);
        Assert.Equal(text, reference.ToString());
        Assert.Equal("/v1/models/" + name, reference.ModelPath);
        Assert.Equal(version is null && alias is null, reference.IsModelOnly);
    }

    [Theory]
    [InlineData("", "not a model name")]
    [InlineData("Team/QA", "not a model name")]
    [InlineData("a/b/c", "not a model name")]
    [InlineData("team/versions", "not a model name")]
    [InlineData("/qa", "not a model name")]
    [InlineData(":7", "not a model name")]
    [InlineData("@prod", "not a model name")]
    [InlineData("qa:", "version number")]
    [InlineData("qa:0", "version number")]
    [InlineData("qa:-1", "version number")]
    [InlineData("qa:v7", "version number")]
    [InlineData("qa:7@prod", "version number")]
    [InlineData("qa@", "alias name")]
    [InlineData("qa@Prod", "alias name")]
    [InlineData("qa@prod:7", "alias name")]
    [InlineData("qa@prod@eu", "alias name")]
    public void TryParse_InvalidReference_SaysWhatIsWrong(string text, string expected)
    {
        Assert.False(ModelRef.TryParse(text, out var reference, out var error));

        Assert.Null(reference);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
