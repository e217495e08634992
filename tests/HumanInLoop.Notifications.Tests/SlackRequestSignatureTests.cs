using System.Text;
using HumanInLoop.Notifications.Internal;

namespace HumanInLoop.Notifications.Tests;

public sealed class SlackRequestSignatureTests
{
    // Slack's published example ("Verifying requests from Slack"): signing secret, timestamp, slash-command body, signature.
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string Timestamp = "1531420618";
    private const string Body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    private const string Expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private static readonly DateTimeOffset s_sent = DateTimeOffset.FromUnixTimeSeconds(1531420618);

    [Fact]
    public void Compute_SlackKnownAnswerVector_Matches() =>
        Assert.Equal(Expected, SlackRequestSignature.Compute(Secret, Timestamp, Encoding.UTF8.GetBytes(Body)));

    [Fact]
    public void Verify_KnownAnswerVector_WithinFiveMinutes_Valid()
    {
        Assert.Equal(SlackSignatureStatus.Valid, SlackRequestSignature.Verify(Secret, Timestamp, Expected, Encoding.UTF8.GetBytes(Body), s_sent));
        Assert.Equal(SlackSignatureStatus.Valid, SlackRequestSignature.Verify(Secret, Timestamp, Expected, Encoding.UTF8.GetBytes(Body), s_sent.AddSeconds(300)));
        Assert.Equal(SlackSignatureStatus.Valid, SlackRequestSignature.Verify(Secret, Timestamp, Expected, Encoding.UTF8.GetBytes(Body), s_sent.AddSeconds(-300)));
    }

    [Theory]
    [InlineData(301)]
    [InlineData(-301)]
    [InlineData(86_400)]
    public void Verify_KnownAnswerVector_TooFarFromNow_Stale(int seconds) =>
        Assert.Equal(SlackSignatureStatus.Stale, SlackRequestSignature.Verify(Secret, Timestamp, Expected, Encoding.UTF8.GetBytes(Body), s_sent.AddSeconds(seconds)));

    [Theory]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b504")]
    [InlineData("v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503")]
    [InlineData("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("v0=")]
    public void Verify_WrongSignature_Mismatch(string signature) =>
        Assert.Equal(SlackSignatureStatus.Mismatch, SlackRequestSignature.Verify(Secret, Timestamp, signature, Encoding.UTF8.GetBytes(Body), s_sent));

    [Fact]
    public void Verify_BodyOrTimestampOrSecretChanged_Mismatch()
    {
        Assert.Equal(SlackSignatureStatus.Mismatch, SlackRequestSignature.Verify(Secret, Timestamp, Expected, Encoding.UTF8.GetBytes(Body + "&x=1"), s_sent));
        Assert.Equal(SlackSignatureStatus.Mismatch, SlackRequestSignature.Verify(Secret, "1531420619", Expected, Encoding.UTF8.GetBytes(Body), s_sent));
        Assert.Equal(SlackSignatureStatus.Mismatch, SlackRequestSignature.Verify(Secret + "x", Timestamp, Expected, Encoding.UTF8.GetBytes(Body), s_sent));
    }

    [Theory]
    [InlineData(null, Expected)]
    [InlineData("", Expected)]
    [InlineData("not-a-number", Expected)]
    [InlineData("-1531420618", Expected)]
    [InlineData("99999999999999999999999", Expected)]
    [InlineData(Timestamp, null)]
    [InlineData(Timestamp, "")]
    public void Verify_MissingOrMalformedHeaders_Missing(string? timestamp, string? signature) =>
        Assert.Equal(SlackSignatureStatus.Missing, SlackRequestSignature.Verify(Secret, timestamp, signature, Encoding.UTF8.GetBytes(Body), s_sent));
}
