namespace Arca.Metadata.Tests;

public sealed class VersionFilterTests
{
    [Theory]
    [InlineData("metrics.f1>0.8", "metrics", "f1", ">", "0.8")]
    [InlineData("metrics.f1>=0.8", "metrics", "f1", ">=", "0.8")]
    [InlineData("metrics.loss<=1e-3", "metrics", "loss", "<=", "1e-3")]
    [InlineData("metrics.acc<1", "metrics", "acc", "<", "1")]
    [InlineData("params.lr=3e-4", "params", "lr", "=", "3e-4")]
    [InlineData("params.optimizer!=adam", "params", "optimizer", "!=", "adam")]
    [InlineData("version>10", "version", "", ">", "10")]
    [InlineData("created_at>=2026-01-01T00:00:00Z", "created_at", "", ">=", "2026-01-01T00:00:00Z")]
    [InlineData("created_by=ci", "created_by", "", "=", "ci")]
    [InlineData(" metrics.f1 > 0.5 ", "metrics", "f1", ">", "0.5")]
    [InlineData("metrics.eval/f1>0.5", "metrics", "eval/f1", ">", "0.5")]
    public void TryParse_ValidTerm(string filter, string field, string key, string op, string literal)
    {
        Assert.True(VersionFilter.TryParse(filter, out var terms, out var error), error);
        var term = Assert.Single(terms);
        Assert.Equal((field, key, op, literal), (term.Field, term.Key, term.Op, term.Literal));
    }

    [Fact]
    public void TryParse_SeveralTerms()
    {
        Assert.True(VersionFilter.TryParse("metrics.f1>0.8,params.lr=3e-4,created_by!=bob", out var terms, out _));
        Assert.Equal(["metrics", "params", "created_by"], terms.Select(t => t.Field));
    }

    [Theory]
    [InlineData("metrics.f1", "metrics.f1")]
    [InlineData("metrics.f1>", "missing value")]
    [InlineData("f1>0.5", "unknown field 'f1'")]
    [InlineData("metrics.>0.5", "unknown field")]
    [InlineData("metrics.f1>high", "'high' is not a number")]
    [InlineData("version=latest", "is not a number")]
    [InlineData("created_at>yesterday", "is not a timestamp")]
    [InlineData("created_by>bob", "supports only = and !=")]
    [InlineData("params.opt>adam", "needs a numeric value")]
    [InlineData("metrics.f1>0.5,bogus", "'bogus'")]
    [InlineData(">0.5", "'>0.5'")]
    public void TryParse_BadTerm_NamesIt(string filter, string expected)
    {
        Assert.False(VersionFilter.TryParse(filter, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "version", "", true)]
    [InlineData("version", "version", "", false)]
    [InlineData("-version", "version", "", true)]
    [InlineData("-metrics.f1", "metrics", "f1", true)]
    [InlineData("metrics.loss", "metrics", "loss", false)]
    [InlineData("created_at", "created_at", "", false)]
    public void TryParseSort_Valid(string? sort, string field, string key, bool descending)
    {
        Assert.True(VersionFilter.TryParseSort(sort, out var spec, out _));
        Assert.Equal((field, key, descending), (spec.Field, spec.Key, spec.Descending));
    }

    [Theory]
    [InlineData("params.lr")]
    [InlineData("created_by")]
    [InlineData("f1")]
    public void TryParseSort_Invalid(string sort) => Assert.False(VersionFilter.TryParseSort(sort, out _, out _));
}
