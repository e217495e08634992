using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using HumanInLoop.Notifications.Internal;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Notifications.Tests;

/// <summary>The Slack message arrives at the webhook; a click comes back as a signed interactive callback.</summary>
public sealed class SlackInteractionTests : IAsyncLifetime
{
    private WorkflowEnvironment _env = null!;
    private WebApplication _host = null!;
    private string _approvalId = null!;
    private JsonObject _message = null!;

    public async Task InitializeAsync()
    {
        _env = await WorkflowEnvironment.CreateAsync();
        _host = await _env.StartHostAsync();
        await _env.PostInvoiceAsync("INV-400", "Acme <!channel> Corp", 7500m);
        _approvalId = (await _env.WaitForWorkflowAsync("wf-INV-400", "WaitingForApproval")).ApprovalId!;
        await Eventually.TrueAsync(() => _env.Slack.Messages.Any(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal)), "Slack request");
        _message = _env.Slack.Messages.First(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        await _env.DisposeAsync();
    }

    private ApprovalService Approvals => _host.Services.GetRequiredService<ApprovalService>();

    [Fact]
    public async Task Message_HasBlockKitShape_WithButtonsCarryingApprovalCallAndFingerprint()
    {
        PendingApproval approval = await Approvals.GetAsync(_approvalId);
        PendingToolCall call = approval.Calls[0];
        JsonArray blocks = _message["blocks"]!.AsArray();
        Assert.Equal("header", blocks[0]!["type"]!.GetValue<string>());
        string all = _message.ToJsonString();
        Assert.Contains("Payments over $1000 need someone from finance.", all, StringComparison.Ordinal);
        Assert.Contains("pay_invoice", all, StringComparison.Ordinal);

        // Model-written text cannot mention or link: < and > are escaped.
        string texts = string.Join("\n", blocks.Select(b => b!["text"]?["text"]?.GetValue<string>()));
        Assert.DoesNotContain("<!channel>", texts, StringComparison.Ordinal);
        Assert.Contains("Acme &lt;!channel&gt; Corp", texts, StringComparison.Ordinal);

        JsonArray buttons = blocks.Single(b => b!["type"]!.GetValue<string>() == "actions")!["elements"]!.AsArray();
        Assert.Equal(["hil_approve", "hil_reject"], buttons.Select(b => b!["action_id"]!.GetValue<string>()));
        Assert.Contains("To answer in place of the tool with a result of your own, use the approvals inbox.", all, StringComparison.Ordinal);
        Assert.Equal(["primary", "danger"], buttons.Select(b => b!["style"]!.GetValue<string>()));
        JsonObject value = JsonNode.Parse(buttons[0]!["value"]!.GetValue<string>())!.AsObject();
        Assert.Equal(_approvalId, value["a"]!.GetValue<string>());
        Assert.Equal(call.CallId, value["c"]!.GetValue<string>());
        Assert.Equal(call.Fingerprint, value["f"]!.GetValue<string>());
    }

    [Fact]
    public async Task SignedClick_Approves_DoubleClickIsOneDecision_PaidOnce()
    {
        string body = Body("U0ALICE", "hil_approve");
        using HttpResponseMessage first = await SendAsync(body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // The same click again, and two more at the same time: all answered OK, one decision recorded.
        using HttpResponseMessage second = await SendAsync(body);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("already recorded", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        HttpResponseMessage[] concurrent = await Task.WhenAll(SendAsync(body), SendAsync(body));
        Assert.All(concurrent, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        await _env.WaitForWorkflowAsync("wf-INV-400", "Paid");
        PendingApproval approval = await Approvals.GetAsync(_approvalId);
        Assert.Single(approval.AuditTrail, e => e.Event == ApprovalAuditEvent.Approved);
        Assert.Equal("alice", approval.Calls[0].DecidedBy);
        Assert.Single(await _env.PaymentsAsync());

        // Rejecting after approving is a conflict, not a second decision.
        using HttpResponseMessage reject = await SendAsync(Body("U0ALICE", "hil_reject"));
        Assert.Equal(HttpStatusCode.Conflict, reject.StatusCode);
        Assert.Single(await _env.PaymentsAsync());
    }

    [Fact]
    public async Task SimultaneousDoubleClick_BeforeAnyDecision_OneDecision()
    {
        string body = Body("U0ALICE", "hil_approve");
        HttpResponseMessage[] clicks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SendAsync(body)));
        Assert.All(clicks, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await _env.WaitForWorkflowAsync("wf-INV-400", "Paid");
        Assert.Single((await Approvals.GetAsync(_approvalId)).AuditTrail, e => e.Event == ApprovalAuditEvent.Approved);
        Assert.Single(await _env.PaymentsAsync());
    }

    public static TheoryData<string, int> BadCallbacks() => new()
    {
        { "bad-signature", 401 },
        { "other-secret", 401 },
        { "no-signature", 401 },
        { "old-timestamp", 401 },
        { "future-timestamp", 401 },
        { "body-changed-after-signing", 401 },
        { "unknown-user", 403 },
        { "user-without-finance-role", 403 },
        { "changed-fingerprint", 409 },
        { "not-our-button", 400 },
        { "respond-button", 400 },
    };

    [Theory]
    [MemberData(nameof(BadCallbacks))]
    public async Task BadCallback_Refused_NothingRuns(string kind, int expected)
    {
        long now = _env.Time.GetUtcNow().ToUnixTimeSeconds();
        string body = kind switch
        {
            "unknown-user" => Body("U0MALLORY", "hil_approve"),
            "user-without-finance-role" => Body("U0BOB", "hil_approve"),
            "changed-fingerprint" => Body("U0ALICE", "hil_approve", fingerprint: new string('a', 64)),
            "not-our-button" => Body("U0ALICE", "other_action"),
            "respond-button" => Body("U0ALICE", "hil_respond"), // Slack offers no respond: it would carry no answer
            _ => Body("U0ALICE", "hil_approve"),
        };
        string timestamp = (kind switch { "old-timestamp" => now - 301, "future-timestamp" => now + 301, _ => now }).ToString(CultureInfo.InvariantCulture);
        string signature = kind switch
        {
            "bad-signature" => "v0=" + new string('0', 64),
            "other-secret" => SlackRequestSignature.Compute("another-apps-secret", timestamp, Encoding.UTF8.GetBytes(body)),
            _ => SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body)),
        };
        if (kind == "body-changed-after-signing")
        {
            body = body.Replace("U0ALICE", "U0ALICF", StringComparison.Ordinal);
        }

        using HttpResponseMessage response = await SendAsync(body, timestamp, kind == "no-signature" ? null : signature);
        Assert.Equal(expected, (int)response.StatusCode);

        PendingApproval approval = await Approvals.GetAsync(_approvalId);
        Assert.Equal(ApprovalStatus.Pending, approval.Status);
        Assert.Equal(CallDecisionStatus.AwaitingApproval, approval.Calls[0].Decision);
        Assert.Empty(await _env.PaymentsAsync());
    }

    [Fact]
    public async Task Timestamp_299SecondsOld_StillAccepted()
    {
        string body = Body("U0ALICE", "hil_reject");
        string timestamp = (_env.Time.GetUtcNow().ToUnixTimeSeconds() - 299).ToString(CultureInfo.InvariantCulture);
        using HttpResponseMessage response = await SendAsync(body, timestamp, SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _env.WaitForWorkflowAsync("wf-INV-400", "NotPaid");
        Assert.Equal("Rejected by alice via Slack.", (await Approvals.GetAsync(_approvalId)).Calls[0].DecisionReason);
    }

    private string Body(string userId, string actionId, string? fingerprint = null)
    {
        JsonArray blocks = _message["blocks"]!.AsArray();
        JsonObject button = blocks.Single(b => b!["type"]!.GetValue<string>() == "actions")!["elements"]![actionId == "hil_reject" ? 1 : 0]!.AsObject();
        string value = button["value"]!.GetValue<string>();
        if (fingerprint is not null)
        {
            JsonObject parsed = JsonNode.Parse(value)!.AsObject();
            parsed["f"] = fingerprint;
            value = parsed.ToJsonString();
        }

        JsonObject payload = new()
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = userId, ["username"] = userId.ToLowerInvariant() },
            ["team"] = new JsonObject { ["id"] = "T0TEAM" },
            ["actions"] = new JsonArray { new JsonObject { ["type"] = "button", ["action_id"] = actionId, ["block_id"] = "hil_call_0", ["value"] = value } },
            ["response_url"] = "https://hooks.slack.invalid/actions/T0TEAM/1/x",
        };
        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }

    private Task<HttpResponseMessage> SendAsync(string body)
    {
        string timestamp = _env.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return SendAsync(body, timestamp, SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body)));
    }

    private async Task<HttpResponseMessage> SendAsync(string body, string timestamp, string? signature)
    {
        using HttpClient client = _env.Client();
        using HttpRequestMessage request = new(HttpMethod.Post, "/approvals/slack/interactions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add(SlackRequestSignature.TimestampHeader, timestamp);
        if (signature is not null)
        {
            request.Headers.Add(SlackRequestSignature.SignatureHeader, signature);
        }

        return await client.SendAsync(request);
    }
}
