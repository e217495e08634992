using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using HumanInLoop.Notifications.Internal;
using HumanInLoop.Notifications.Tests.Infrastructure;
using HumanInLoop.Testing;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;

namespace HumanInLoop.Notifications.Tests;

/// <summary>
/// Attacks on the e-mail links, the confirmation page, the Slack callback and the messages, against the sample host. The
/// invoice's vendor (which the model copies into the call's arguments) is hostile: HTML, Slack mrkdwn and a bidi override.
/// </summary>
public sealed class LinkAttackTests : IAsyncLifetime
{
    private const string Workflow = "wf-INV-500";
    private const string HostileVendor = "Acme <script>alert(1)</script> ```*Amount: $5*``` https://evil.example/approve \u202Egnp.exe";
    private WorkflowEnvironment _env = null!;
    private WebApplication _host = null!;
    private string _approvalId = null!;
    private MimeMessage _mail = null!;
    private Uri _approve = null!;
    private Uri _reject = null!;
    private PausingNotificationStore _store = null!;

    public async Task InitializeAsync()
    {
        _env = await WorkflowEnvironment.CreateAsync();
        _host = await _env.StartHostAsync(services => _store = PausingNotificationStore.Wrap(services));
        using HttpResponseMessage accepted = await _env.PostInvoiceAsync("INV-500", HostileVendor, 5000m);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        _approvalId = (await _env.WaitForWorkflowAsync(Workflow, "WaitingForApproval")).ApprovalId!;
        _mail = await _env.WaitForMailAsync("alice@example.com", _approvalId, "Approval needed");
        (_approve, _reject) = WorkflowEnvironment.Links(_mail);
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        await _env.DisposeAsync();
    }

    private ApprovalService Approvals => _host.Services.GetRequiredService<ApprovalService>();

    [Fact]
    public async Task ConfirmationPage_HostileArguments_AreEncodedAndThePageIsLockedDown()
    {
        using HttpClient client = new(new HttpClientHandler { AllowAutoRedirect = false });
        using HttpResponseMessage response = await client.GetAsync(_approve);
        string page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page, StringComparison.Ordinal);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Contains("default-src 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.DoesNotContain("<script", _mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
        await AssertNothingDecidedAsync();
    }

    /// <summary>A bidi override in model text makes "exe.png" read as "gnp.exe" (or a payee read backwards): the approver must see it escaped.</summary>
    [Fact]
    public async Task ConfirmationPageAndMessages_BidiOverrideInArguments_IsShownEscaped()
    {
        using HttpClient client = new();
        string page = await client.GetStringAsync(_approve);
        JsonObject slack = await SlackMessageAsync();

        Assert.DoesNotContain('\u202E', page);
        Assert.DoesNotContain('\u202E', _mail.TextBody ?? "");
        Assert.DoesNotContain('\u202E', slack.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    [Fact]
    public async Task SlackMessage_HostileArguments_CannotMentionOrLink()
    {
        JsonObject message = await SlackMessageAsync();
        string texts = string.Join("\n", message["blocks"]!.AsArray().Select(b => b!["text"]?["text"]?.GetValue<string>()));

        Assert.DoesNotContain("<script>", texts, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", texts, StringComparison.Ordinal);
        Assert.DoesNotContain('<', texts);
    }

    /// <summary>
    /// The arguments are shown in a ``` block; a ``` in model text closes it early, so the rest renders as mrkdwn: bold fake
    /// amounts and a bare URL Slack turns into a link, right under the Approve button.
    /// </summary>
    [Fact]
    public async Task SlackMessage_BackticksInArguments_StayInsideTheCodeBlock()
    {
        JsonObject message = await SlackMessageAsync();
        string arguments = message["blocks"]!.AsArray()
            .Select(b => b!["text"]?["text"]?.GetValue<string>() ?? "")
            .Single(t => t.Contains("Acme", StringComparison.Ordinal));

        Assert.StartsWith("```", arguments, StringComparison.Ordinal);
        Assert.EndsWith("```", arguments, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(arguments, "```"));
    }

    /// <summary>Every browser that opens the page and confirms at once: one decision, one payment, the rest told the link was used.</summary>
    [Fact]
    public async Task SameLink_ConfirmedManyTimesAtOnce_OneDecisionOnePayment()
    {
        using Browser browser = new();
        (_, string page) = await browser.OpenAsync(_approve);

        (HttpStatusCode Status, string Html)[] results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => browser.SubmitAsync(_approve, page)));

        Assert.Single(results, r => r.Status == HttpStatusCode.OK);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Gone, r.Status));
        await _env.WaitForWorkflowAsync(Workflow, "Paid");
        Assert.Single((await Approvals.GetAsync(_approvalId)).AuditTrail, e => e.Event == ApprovalAuditEvent.Approved);
        Assert.Single(await _env.PaymentsAsync());
    }

    /// <summary>
    /// The race above, every time: a confirmation that found the link unused waits while another confirmation of it decides;
    /// then it finds the call decided. What happened to it is that the link was used (410), as documented, not a conflict.
    /// </summary>
    [Fact]
    public async Task SameLink_LosingConfirmationFindsTheCallDecided_IsToldTheLinkWasUsed()
    {
        using Browser browser = new();
        (_, string page) = await browser.OpenAsync(_approve);
        PausingNotificationStore.Hold hold = _store.HoldNextUsedCheck();
        Task<(HttpStatusCode Status, string Html)> losing = browser.SubmitAsync(_approve, page);
        Assert.False(await hold.Checked.Task.WaitAsync(TimeSpan.FromSeconds(30)), "the held confirmation found the link unused");

        (HttpStatusCode won, _) = await browser.SubmitAsync(_approve, page);
        hold.Release.SetResult();
        (HttpStatusCode lost, string html) = await losing;

        Assert.Equal(HttpStatusCode.OK, won);
        Assert.Equal(HttpStatusCode.Gone, lost);
        Assert.Contains("Link already used", html, StringComparison.Ordinal);
        await _env.WaitForWorkflowAsync(Workflow, "Paid");
        Assert.Single((await Approvals.GetAsync(_approvalId)).AuditTrail, e => e.Event == ApprovalAuditEvent.Approved);
        Assert.Single(await _env.PaymentsAsync());
    }

    /// <summary>
    /// Single use is recorded by the token's text: a used token whose last base64url character differs only in the two bits the
    /// 32-byte MAC does not use must not count as a fresh link (the decoder refuses the non-canonical encoding).
    /// </summary>
    [Fact]
    public async Task UsedLink_WithANonCanonicalMacEncoding_IsStillRefusedAsUsed()
    {
        using Browser browser = new();
        (_, string page) = await browser.OpenAsync(_reject);
        (HttpStatusCode status, _) = await browser.SubmitAsync(_reject, page, reason: "Not ours.");
        Assert.Equal(HttpStatusCode.OK, status);

        Uri variant = NonCanonicalVariant(_reject);
        Assert.NotEqual(_reject, variant);
        (status, _) = await browser.OpenAsync(variant);

        Assert.True(status is HttpStatusCode.Gone or HttpStatusCode.Forbidden, $"status {(int)status}");
    }

    [Fact]
    public async Task UsedLink_OpenedAgain_IsGoneAndTheOtherLinkCannotChangeTheDecision()
    {
        using Browser browser = new();
        (_, string page) = await browser.OpenAsync(_reject);
        (HttpStatusCode status, _) = await browser.SubmitAsync(_reject, page, reason: "Not ours.");
        Assert.Equal(HttpStatusCode.OK, status);

        (status, _) = await browser.OpenAsync(_reject);
        Assert.Equal(HttpStatusCode.Gone, status);
        (status, string approvePage) = await browser.OpenAsync(_approve);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.DoesNotContain("<form", approvePage, StringComparison.Ordinal);

        await _env.WaitForWorkflowAsync(Workflow, "NotPaid");
        PendingApproval approval = await Approvals.GetAsync(_approvalId);
        Assert.Equal(CallDecisionStatus.Rejected, approval.Calls[0].Decision);
        Assert.Equal("Not ours.", approval.Calls[0].DecisionReason);
        Assert.Empty(await _env.PaymentsAsync());
    }

    /// <summary>The antiforgery token sent as a header with a JSON body (not the page's form): a clear 400, not a server error.</summary>
    [Fact]
    public async Task Post_WithAntiforgeryHeaderAndJsonBody_Returns400AndDecidesNothing()
    {
        using CookieAwareClient browser = new();
        string page = await browser.Client.GetStringAsync(_approve);
        string token = System.Text.RegularExpressions.Regex.Match(page, "<input type=\"hidden\" name=\"[^\"]+\" value=\"([^\"]*)\">").Groups[1].Value;
        string header = _host.Services.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.HeaderName!;
        using HttpRequestMessage request = new(HttpMethod.Post, _approve)
        {
            Content = new StringContent("{\"confirm\":\"approve\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(header, WebUtility.HtmlDecode(token));

        using HttpResponseMessage response = await browser.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNothingDecidedAsync();
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task Link_WithAnotherMethod_Returns405AndTheLinkStillWorks(string method)
    {
        using HttpClient client = new(new HttpClientHandler { AllowAutoRedirect = false });
        using HttpRequestMessage request = new(new HttpMethod(method), _approve) { Content = new StringContent("confirm=approve", Encoding.UTF8, "application/x-www-form-urlencoded") };

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        await AssertNothingDecidedAsync();
        using Browser browser = new();
        Assert.Equal(HttpStatusCode.OK, (await browser.OpenAsync(_approve)).Status);
    }

    public static TheoryData<string> OddTokens => new()
    {
        "hil1",
        "hil1..",
        "hil1.e30.",
        "%F0%9F%98%80",
        "hil1%EF%BC%8Ee30%EF%BC%8EAAAA",
        "hil1.e30.AAAA%3D",
        "%2E%2E%2F%2E%2E%2Fpayments",
    };

    [Theory]
    [MemberData(nameof(OddTokens))]
    public async Task Link_OddToken_GetAndPostRefusedWithoutServerErrors(string token)
    {
        Uri link = new(_env.BaseUri, "/approvals/links/approve/" + token);
        using Browser browser = new();
        (HttpStatusCode get, string getPage) = await browser.OpenAsync(link);
        (_, string realPage) = await browser.OpenAsync(_approve);
        (HttpStatusCode post, _) = await browser.SubmitAsync(link, realPage, confirmOverride: "approve");

        Assert.True(get is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"GET {(int)get}");
        Assert.True(post is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"POST {(int)post}");
        Assert.DoesNotContain("<form", getPage, StringComparison.Ordinal);
        await AssertNothingDecidedAsync();
    }

    [Fact]
    public async Task Link_LongerThanTheLimit_Refused()
    {
        string token = _approve.Segments[^1];
        Uri link = new(_env.BaseUri, "/approvals/links/approve/" + token + new string('A', 4200));
        using Browser browser = new();

        (HttpStatusCode status, _) = await browser.OpenAsync(link);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        await AssertNothingDecidedAsync();
    }

    [Fact]
    public async Task Link_AfterTheCallWasDecidedInSlack_ConflictAndPaidOnce()
    {
        using HttpResponseMessage click = await SlackAsync(SlackBody("U0ALICE", "hil_approve"));
        Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        await _env.WaitForWorkflowAsync(Workflow, "Paid");

        using Browser browser = new();
        (HttpStatusCode get, string page) = await browser.OpenAsync(_reject);
        Assert.Equal(HttpStatusCode.Conflict, get);
        Assert.DoesNotContain("<form", page, StringComparison.Ordinal);
        PendingApproval approval = await Approvals.GetAsync(_approvalId);
        Assert.Equal(CallDecisionStatus.Approved, approval.Calls[0].Decision);
        Assert.Single(await _env.PaymentsAsync());
    }

    [Fact]
    public async Task Slack_ApproveClickAfterARejectByLink_ConflictAndNothingPaid()
    {
        // The request reached Slack before the link was used (once the call is decided, a request not yet sent is not sent).
        string approveClick = SlackBody("U0ALICE", "hil_approve");
        using Browser browser = new();
        (_, string page) = await browser.OpenAsync(_reject);
        Assert.Equal(HttpStatusCode.OK, (await browser.SubmitAsync(_reject, page, reason: "Fraud.")).Status);

        using HttpResponseMessage click = await SlackAsync(approveClick);

        Assert.Equal(HttpStatusCode.Conflict, click.StatusCode);
        await _env.WaitForWorkflowAsync(Workflow, "NotPaid");
        Assert.Empty(await _env.PaymentsAsync());
        Assert.Single((await Approvals.GetAsync(_approvalId)).AuditTrail, e => e.Event is ApprovalAuditEvent.Approved or ApprovalAuditEvent.Rejected);
    }

    [Fact]
    public async Task Slack_SignedBodyOverTheSizeLimit_Returns413AndDecidesNothing()
    {
        string body = SlackBody("U0ALICE", "hil_approve") + "&padding=" + new string('x', 70 * 1024);

        using HttpResponseMessage response = await SlackAsync(body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertNothingDecidedAsync();
    }

    public static TheoryData<string> OddSlackSignatures => new()
    {
        "uppercase",
        "timestamp-with-plus",
        "timestamp-with-space",
        "timestamp-far-future-overflow",
        "signature-prefix-only",
        "two-payloads",
    };

    [Theory]
    [MemberData(nameof(OddSlackSignatures))]
    public async Task Slack_OddSignatureOrBody_RefusedAndDecidesNothing(string kind)
    {
        string now = _env.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string body = SlackBody("U0ALICE", "hil_approve");
        if (kind == "two-payloads")
        {
            body += "&" + SlackBody("U0ALICE", "hil_approve");
        }

        string timestamp = kind switch
        {
            "timestamp-with-plus" => "+" + now,
            "timestamp-with-space" => " " + now,
            "timestamp-far-future-overflow" => "9223372036854775807",
            _ => now,
        };
        string signature = SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body));
        signature = kind switch
        {
            "uppercase" => signature.ToUpperInvariant(),
            "signature-prefix-only" => "v0=",
            _ => signature,
        };

        using HttpResponseMessage response = await SlackAsync(body, timestamp, signature);

        Assert.Equal(kind == "two-payloads" ? HttpStatusCode.BadRequest : HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingDecidedAsync();
    }

    /// <summary>A model can name a tool that does not exist; unmatched tools wait for approval, and the tool name goes into the subject.</summary>
    [Fact]
    public async Task Email_ToolNameWithHeaderInjection_StaysInsideTheSubject()
    {
        ApprovalService approvals = new(new InMemoryStateStore(), new ApprovalOptions());
        IChatClient client = new ChatClientBuilder(new ScriptedChatClient(_ => ScriptedChatClient.Calls(
            ScriptedChatClient.Call("c1", "pay\r\nBcc: thief@evil.example\r\nX-Injected: yes", new Dictionary<string, object?> { ["amount"] = "1" }))))
            .UseFunctionInvocation().UseApprovalGate(approvals).Build();
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(AIFunctionFactory.Create((string amount) => amount, "pay")) };
        PendingApproval approval = (await Assert.ThrowsAsync<PendingApprovalException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], options))).Approval;
        SmtpEmailChannelOptions smtp = new() { Host = "127.0.0.1", From = "approvals@example.com", Recipients = { "alice@example.com" } };
        ApprovalLinkIssuer links = new(new ApprovalLinkOptions { BaseUri = new Uri("https://approvals.example.com/approvals/links"), SigningKey = WorkflowEnvironment.LinkKey });
        SmtpEmailChannel channel = new(smtp, links);

        using MimeMessage message = channel.BuildMessage(new ApprovalDelivery(ApprovalNotificationKind.Pending, approval, null, false, 1), "alice@example.com");
        using MemoryStream written = new();
        await message.WriteToAsync(written);
        string raw = Encoding.UTF8.GetString(written.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal);
        string headers = raw[..raw.IndexOf("\n\n", StringComparison.Ordinal)];

        Assert.Empty(message.Bcc);
        Assert.Null(message.Headers["X-Injected"]);
        Assert.DoesNotContain("\nBcc:", headers, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\nX-Injected:", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["alice@example.com"], message.To.Mailboxes.Select(m => m.Address));
    }

    private async Task AssertNothingDecidedAsync()
    {
        PendingApproval approval = await Approvals.GetAsync(_approvalId);
        Assert.Equal(ApprovalStatus.Pending, approval.Status);
        Assert.Equal(CallDecisionStatus.AwaitingApproval, approval.Calls[0].Decision);
        Assert.DoesNotContain(approval.AuditTrail, e => e.Event is ApprovalAuditEvent.Approved or ApprovalAuditEvent.Rejected);
        Assert.Empty(await _env.PaymentsAsync());
        Assert.Equal("WaitingForApproval", (await _env.GetWorkflowAsync(Workflow))!.Status);
    }

    private async Task<JsonObject> SlackMessageAsync()
    {
        await Eventually.TrueAsync(() => _env.Slack.Messages.Any(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal)), "Slack request");
        return _env.Slack.Messages.First(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal));
    }

    private string SlackBody(string userId, string actionId)
    {
        JsonObject message = _env.Slack.Messages.FirstOrDefault(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal))
            ?? SlackMessageAsync().GetAwaiter().GetResult();
        JsonObject button = message["blocks"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "actions")!["elements"]![actionId == "hil_reject" ? 1 : 0]!.AsObject();
        JsonObject payload = new()
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = userId },
            ["actions"] = new JsonArray { new JsonObject { ["type"] = "button", ["action_id"] = actionId, ["value"] = button["value"]!.GetValue<string>() } },
        };
        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }

    private Task<HttpResponseMessage> SlackAsync(string body)
    {
        string timestamp = _env.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return SlackAsync(body, timestamp, SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body)));
    }

    private async Task<HttpResponseMessage> SlackAsync(string body, string timestamp, string signature)
    {
        await SlackMessageAsync();
        using HttpClient client = _env.Client();
        using HttpRequestMessage request = new(HttpMethod.Post, "/approvals/slack/interactions")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.TryAddWithoutValidation(SlackRequestSignature.TimestampHeader, timestamp);
        request.Headers.TryAddWithoutValidation(SlackRequestSignature.SignatureHeader, signature);
        return await client.SendAsync(request);
    }

    /// <summary>The same token with the unused low bits of the MAC's last base64url character set.</summary>
    private static Uri NonCanonicalVariant(Uri link)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        string token = link.Segments[^1];
        int last = Alphabet.IndexOf(token[^1], StringComparison.Ordinal);
        char changed = Alphabet[(last & ~0b11) | ((last & 0b11) ^ 0b01)];
        return new Uri(link, "./" + token[..^1] + changed);
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>An HttpClient that keeps cookies and does not follow redirects.</summary>
    private sealed class CookieAwareClient : IDisposable
    {
        public HttpClient Client { get; } = new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false });

        public void Dispose() => Client.Dispose();
    }
}
