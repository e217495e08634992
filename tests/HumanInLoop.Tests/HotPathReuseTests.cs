using System.Text.Json;
using HumanInLoop.Internal;

namespace HumanInLoop.Tests;

/// <summary>What the gate's hot path reuses or builds in one go still gives exactly what it gave before.</summary>
public sealed class HotPathReuseTests
{
    [Fact]
    public void ApprovalIds_New_PrefixThen22UrlSafeCharacters_AllDistinct()
    {
        HashSet<string> ids = [];
        for (int i = 0; i < 10_000; i++)
        {
            string id = ApprovalIds.New("call_");
            Assert.Matches("^call_[A-Za-z0-9_-]{22}$", id);
            Assert.True(ids.Add(id), $"'{id}' was made twice.");
        }

        // Over 220,000 random characters both URL-safe replacements show up (each misses with a probability below 1e-1500).
        Assert.Contains(ids, id => id.Contains('-', StringComparison.Ordinal));
        Assert.Contains(ids, id => id.IndexOf('_', 5) >= 0);
    }

    [Fact]
    public void CanonicalJson_FromArguments_AfterAWriteThatFailedMidway_NextArgumentsWrittenWhole()
    {
        KeyValuePair<string, object?>[] twice = [new("a", 1), new("a", 2)];
        Assert.Throws<ArgumentException>(() => CanonicalJson.FromArguments(twice));

        JsonElement next = CanonicalJson.FromArguments(new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 5 });

        Assert.Equal("""{"amount":5,"to":"bob"}""", next.GetRawText());
    }

    [Fact]
    public void CanonicalJson_FromArguments_WriterReused_EarlierElementsKeepTheirOwnArguments()
    {
        JsonElement first = CanonicalJson.FromArguments(new Dictionary<string, object?> { ["account"] = "ACC-1" });
        JsonElement second = CanonicalJson.FromArguments(new Dictionary<string, object?> { ["account"] = "ACC-2", ["note"] = new string('x', 40_000) });
        JsonElement third = CanonicalJson.FromArguments(null);

        Assert.Equal("""{"account":"ACC-1"}""", first.GetRawText());
        Assert.Equal("ACC-2", second.GetProperty("account").GetString());
        Assert.Equal(40_000, second.GetProperty("note").GetString()!.Length);
        Assert.Equal("{}", third.GetRawText());
    }
}
