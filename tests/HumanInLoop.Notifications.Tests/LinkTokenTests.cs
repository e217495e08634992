using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using HumanInLoop.Notifications.Internal;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Notifications.Tests;

public sealed class LinkTokenTests
{
    private static readonly byte[] s_key = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))];
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    private ApprovalLinkIssuer Issuer(byte[]? key = null, params byte[][] previous)
    {
        ApprovalLinkOptions options = new() { BaseUri = new Uri("https://approvals.example.com/approvals/links"), SigningKey = key ?? s_key, Lifetime = TimeSpan.FromHours(12) };
        foreach (byte[] old in previous)
        {
            options.PreviousSigningKeys.Add(old);
        }

        return new ApprovalLinkIssuer(options, _time);
    }

    private async Task<PendingApproval> PendingAsync(TimeSpan? expiresAfter = null)
    {
        ApprovalService approvals = new(new InMemoryStateStore(), new ApprovalOptions
        {
            TimeProvider = _time,
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Needs a person.", expiresAfter: expiresAfter) },
        });
        IChatClient client = new ChatClientBuilder(new ScriptedChatClient(_ => ScriptedChatClient.Calls(
            ScriptedChatClient.Call("c1", "transfer", new Dictionary<string, object?> { ["amount"] = "10.00" })))).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(AIFunctionFactory.Create((string amount) => amount, "transfer")) };
        return (await Assert.ThrowsAsync<PendingApprovalException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], options))).Approval;
    }

    private static string Token(Uri link) => link.Segments[^1];

    [Fact]
    public async Task CreateLinks_BindApprovalCallFingerprintDecisionRecipientAndExpiry()
    {
        PendingApproval approval = await PendingAsync();
        ApprovalLinks links = Issuer().CreateLinks(approval, approval.Calls[0], ApproverDirectory.Email, "alice@example.com");
        Assert.StartsWith("https://approvals.example.com/approvals/links/approve/hil1.", links.ApproveUri.AbsoluteUri, StringComparison.Ordinal);
        Assert.StartsWith("https://approvals.example.com/approvals/links/reject/hil1.", links.RejectUri.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(_time.GetUtcNow().AddHours(12), links.ExpiresAt);

        (LinkTokenStatus status, LinkClaims? claims) = Issuer().Verify(Token(links.ApproveUri));
        Assert.Equal(LinkTokenStatus.Valid, status);
        Assert.Equal((approval.Id, "c1", approval.Calls[0].Fingerprint, "approve", "email", "alice@example.com"),
            (claims!.ApprovalId, claims.CallId, claims.Fingerprint, claims.Decision, claims.RecipientKind, claims.RecipientId));
        Assert.Equal("reject", Issuer().Verify(Token(links.RejectUri)).Claims!.Decision);

        // Two links for the same call are different tokens (random nonce), so each is single-use on its own.
        Assert.NotEqual(links.ApproveUri, Issuer().CreateLinks(approval, approval.Calls[0], ApproverDirectory.Email, "alice@example.com").ApproveUri);
    }

    [Fact]
    public async Task Expiry_NeverPastTheApprovalsDeadline_AndRefusedAfterIt()
    {
        PendingApproval approval = await PendingAsync(expiresAfter: TimeSpan.FromHours(2));
        ApprovalLinks links = Issuer().CreateLinks(approval, approval.Calls[0], ApproverDirectory.Email, "alice@example.com");
        Assert.Equal(approval.ExpiresAt, links.ExpiresAt);

        _time.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(LinkTokenStatus.Valid, Issuer().Verify(Token(links.ApproveUri)).Status);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(LinkTokenStatus.Expired, Issuer().Verify(Token(links.ApproveUri)).Status);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("c")]
    [InlineData("f")]
    [InlineData("d")]
    [InlineData("r")]
    [InlineData("e")]
    public async Task AnyClaimChanged_SignatureNoLongerMatches_Invalid(string claim)
    {
        PendingApproval approval = await PendingAsync();
        string token = Token(Issuer().CreateLinks(approval, approval.Calls[0], ApproverDirectory.Email, "alice@example.com").ApproveUri);
        string[] parts = token.Split('.');
        JsonObject claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        claims[claim] = claim == "e" ? JsonValue.Create(claims["e"]!.GetValue<long>() + 86_400) : JsonValue.Create(claim == "d" ? "reject" : claims[claim]!.GetValue<string>() + "x");
        string forged = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.{parts[2]}";
        Assert.Equal(LinkTokenStatus.Invalid, Issuer().Verify(forged).Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hil1")]
    [InlineData("hil1..")]
    [InlineData("hil2.e30.AAAA")]
    [InlineData("hil1.e30.AAAA")]
    [InlineData("hil1.e30.%%%")]
    [InlineData("hil1.a.b.c")]
    [InlineData("hil1.é.AAAA")]
    public void Garbage_Invalid(string token) => Assert.Equal(LinkTokenStatus.Invalid, Issuer().Verify(token).Status);

    [Fact]
    public void SignedWithTheRightKey_ButNotOurClaims_Invalid()
    {
        string body = "hil1." + Base64Url.EncodeToString("{\"v\":1,\"a\":\"x\"}"u8);
        string token = body + "." + Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(s_key, Encoding.ASCII.GetBytes(body)));
        Assert.Equal(LinkTokenStatus.Invalid, Issuer().Verify(token).Status);
    }

    [Fact]
    public async Task KeyRotation_OldLinksStillWork_LinksOfAnotherKeyDoNot()
    {
        PendingApproval approval = await PendingAsync();
        byte[] newKey = [.. Enumerable.Range(100, 32).Select(i => (byte)i)];
        string old = Token(Issuer().CreateLinks(approval, approval.Calls[0], ApproverDirectory.Email, "a@example.com").ApproveUri);
        Assert.Equal(LinkTokenStatus.Valid, Issuer(newKey, s_key).Verify(old).Status);
        Assert.Equal(LinkTokenStatus.Invalid, Issuer(newKey).Verify(old).Status);
        string fresh = Token(Issuer(newKey, s_key).CreateLinks(approval, approval.Calls[0], ApproverDirectory.Email, "a@example.com").ApproveUri);
        Assert.Equal(LinkTokenStatus.Invalid, Issuer().Verify(fresh).Status);
    }

    [Fact]
    public void Options_ShortKeyOrRelativeBase_Refused()
    {
        Assert.Throws<InvalidOperationException>(() => new ApprovalLinkIssuer(new ApprovalLinkOptions { BaseUri = new Uri("https://x.example/l"), SigningKey = new byte[31] }));
        Assert.Throws<InvalidOperationException>(() => new ApprovalLinkIssuer(new ApprovalLinkOptions { BaseUri = new Uri("/l", UriKind.Relative), SigningKey = s_key }));
        Assert.Throws<InvalidOperationException>(() => new ApprovalLinkIssuer(new ApprovalLinkOptions { BaseUri = null, SigningKey = s_key }));
    }

    [Fact]
    public void TokenHash_IsSha256Hex_NotTheToken() =>
        Assert.Matches("^[0-9a-f]{64}$", LinkToken.Hash("hil1.abc.def"));
}
