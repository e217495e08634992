using HumanInLoop.Notifications.Internal;

namespace HumanInLoop.Notifications.Tests;

/// <summary>What an approver reads of model-written text: nothing invisible, nothing that reorders what is shown, no way out of a code block.</summary>
public sealed class VisibleTextTests
{
    [Theory]
    [InlineData("pay \u202Egnp.exe", "pay \\u202Egnp.exe")] // right-to-left override
    [InlineData("\u2066bob\u2069", "\\u2066bob\\u2069")] // isolates
    [InlineData("bo\u200Bb\uFEFF", "bo\\u200Bb\\uFEFF")] // zero-width space, BOM
    [InlineData("a\u0007b\u2028c", "a\\u0007b\\u2028c")] // bell, line separator
    [InlineData("x\U000E0041\U000E0042", "x\\uDB40\\uDC41\\uDB40\\uDC42")] // invisible "tag" letters (astral, format)
    public void Visible_EscapesWhatAReaderCannotSee(string text, string expected) =>
        Assert.Equal(expected, ApprovalText.Visible(text));

    [Fact]
    public void Visible_EscapesALoneSurrogate() =>
        Assert.Equal("lone \\uD800 surrogate", ApprovalText.Visible("lone " + (char)0xD800 + " surrogate")); // built here: attributes cannot hold one

    [Theory]
    [InlineData("Line one\nline two\ttabbed\r\n")]
    [InlineData("Zürich · 5 000 € — naïve 日本 😀")]
    [InlineData("")]
    public void Visible_LeavesOrdinaryTextAlone(string text) =>
        Assert.Same(text, ApprovalText.Visible(text));

    [Theory]
    [InlineData("```")]
    [InlineData("````")]
    [InlineData("a```*bold* https://evil.example```b")]
    [InlineData("``````")]
    public void SlackCodeBlock_NoRunOfThreeBackticksInside(string text)
    {
        string block = SlackMessages.CodeBlock(text);
        string inside = block[3..^3];

        Assert.StartsWith("```", block, StringComparison.Ordinal);
        Assert.EndsWith("```", block, StringComparison.Ordinal);
        Assert.DoesNotContain("```", inside, StringComparison.Ordinal);
        Assert.Equal(text, inside.Replace("\u200B", "", StringComparison.Ordinal)); // reads the same
    }
}
