using System.Text.Json.Nodes;
using HumanInLoop.Notifications.Internal;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace HumanInLoop.Notifications.Tests;

public sealed class StoreAndMessageTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ApproverDirectory_EmailCaseInsensitive_SlackExact_UnknownNull()
    {
        ApproverDirectory directory = new ApproverDirectory().AddEmail("Alice@Example.com", new Approver("alice")).AddSlackUser("U1", new Approver("u1"));
        Assert.Equal("alice", (await directory.FindAsync(ApproverDirectory.Email, "alice@example.COM"))!.Id);
        Assert.Null(await directory.FindAsync(ApproverDirectory.Slack, "u1"));
        Assert.Null(await directory.FindAsync(ApproverDirectory.Slack, "alice@example.com"));
        Assert.Equal("u1", (await directory.FindAsync(ApproverDirectory.Slack, "U1"))!.Id);
    }

    [Fact]
    public async Task EmailMessage_PerRecipientLinks_TextAndHtml_ModelTextEncoded()
    {
        PendingApproval approval = await PendingAsync("<script>alert(1)</script>");
        ApprovalLinkIssuer links = new(new ApprovalLinkOptions { BaseUri = new Uri("https://a.example/links"), SigningKey = new byte[32] }, _time);
        SmtpEmailChannelOptions options = new() { Host = "smtp.example", From = "approvals@example.com", Recipients = { "a@example.com", "b@example.com" } };
        SmtpEmailChannel channel = new(options, links);
        ApprovalDelivery delivery = new(ApprovalNotificationKind.Pending, approval, null, false, 1);
        using MimeMessage toA = channel.BuildMessage(delivery, "a@example.com");
        using MimeMessage toB = channel.BuildMessage(delivery, "b@example.com");

        Assert.Equal("Approval needed: transfer", toA.Subject);
        Assert.Contains("/links/approve/hil1.", toA.TextBody, StringComparison.Ordinal);
        Assert.Contains("/links/reject/hil1.", toA.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("<script>alert(1)</script>", toA.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", toA.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", toA.HtmlBody, StringComparison.Ordinal);
        Assert.NotEqual(ApproveLink(toA), ApproveLink(toB));
    }

    [Fact]
    public async Task SlackMessage_Announcements_OneLineWithoutButtons()
    {
        PendingApproval approval = await PendingAsync("x");
        JsonObject expired = SlackWebhookChannel.BuildMessage(new ApprovalDelivery(ApprovalNotificationKind.Expired, approval, null, false, 1));
        Assert.DoesNotContain("actions", expired.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("expired undecided", expired["text"]!.GetValue<string>(), StringComparison.Ordinal);

        JsonObject escalated = SlackWebhookChannel.BuildMessage(new ApprovalDelivery(ApprovalNotificationKind.Pending, approval, null, true, 1));
        Assert.StartsWith("Escalated", escalated["blocks"]![0]!["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelOptions_Invalid_RefusedWithAMessage()
    {
        Assert.Throws<InvalidOperationException>(() => new SlackWebhookChannel(new SlackWebhookChannelOptions(), new NoHttpClients()));
        Assert.Throws<InvalidOperationException>(() => new SmtpEmailChannel(new SmtpEmailChannelOptions { Host = "h", From = "a@example.com" }, null));
        Assert.Throws<InvalidOperationException>(() => new SmtpEmailChannel(new SmtpEmailChannelOptions { Host = "h", From = "not an address", Recipients = { "b@example.com" } }, null));
    }

    private sealed class NoHttpClients : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new NotSupportedException();
    }

    private static string ApproveLink(MimeMessage message) =>
        message.TextBody!.Split('\n').Single(l => l.StartsWith("Approve: ", StringComparison.Ordinal));

    private async Task<PendingApproval> PendingAsync(string to)
    {
        ApprovalService approvals = new(new InMemoryStateStore(), new ApprovalOptions { TimeProvider = _time });
        IChatClient client = new ChatClientBuilder(new ScriptedChatClient(_ => ScriptedChatClient.Calls(
            ScriptedChatClient.Call("c1", "transfer", new Dictionary<string, object?> { ["to"] = to })))).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(AIFunctionFactory.Create((string to) => to, "transfer")) };
        return (await Assert.ThrowsAsync<PendingApprovalException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], options))).Approval;
    }
}
