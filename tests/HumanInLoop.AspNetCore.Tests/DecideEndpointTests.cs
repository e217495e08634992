using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;

namespace HumanInLoop.AspNetCore.Tests;

public sealed class DecideEndpointTests
{
    [Fact]
    public async Task Decide_Approve_RecordsTheAuthenticatedApproverAndRunsNothingUntilResume()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, approver = "mallory" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        ApprovalView view = (await response.Content.ReadFromJsonAsync<ApprovalView>())!;
        Assert.Equal("Decided", view.Status);
        Assert.Equal("alice", view.Calls[0].DecidedBy);
        Assert.Empty(host.Transfers);
        PendingApproval stored = await host.Approvals.GetAsync(approval.Id);
        Assert.Equal(ApprovalStatus.Decided, stored.Status);
        Assert.Equal("alice", stored.Calls[0].DecidedBy);
    }

    [Fact]
    public async Task Decide_RejectWithReason_ResumeTellsTheModelAndNothingRuns()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "reject", reason = "Not today.", fingerprint = approval.Calls[0].Fingerprint });
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        using HttpResponseMessage resumed = await alice.ResumeAsync(approval.Id);
        List<SseEvent> events = await SseEvent.ReadAllAsync(resumed);

        Assert.Empty(host.Transfers);
        SseEvent result = Assert.Single(events, e => e.Event == "tool_result");
        Assert.Contains("rejected by the approver", result.Data.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Contains("Not today.", result.Data.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Equal("done", events[^1].Event);
    }

    [Fact]
    public async Task Decide_EditedArguments_ResumeRunsTheEditedArgumentsOnly()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync("transfer 900 to bob");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, arguments = new { to = "bob", amount = 120 } });
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        ApprovalView view = (await decided.Content.ReadFromJsonAsync<ApprovalView>())!;
        Assert.Equal(120, view.Calls[0].ApprovedArguments!.Value.GetProperty("amount").GetDecimal());
        using HttpResponseMessage resumed = await alice.ResumeAsync(approval.Id);
        await SseEvent.ReadAllAsync(resumed);

        Assert.Equal(("bob", 120m), Assert.Single(host.Transfers));
    }

    [Fact]
    public async Task Decide_FormPostWithAntiforgeryField_IsAccepted()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        AntiforgeryTokenResult token = (await alice.Http.GetFromJsonAsync<AntiforgeryTokenResult>("/approvals/antiforgery"))!;

        using FormUrlEncodedContent form = new(new Dictionary<string, string>
        {
            ["decision"] = "approve",
            ["fingerprint"] = approval.Calls[0].Fingerprint,
            [token.FormFieldName] = token.Token,
        });
        using HttpResponseMessage response = await alice.Http.PostAsync($"/approvals/{approval.Id}/calls/c-tr/decision", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ApprovalStatus.Decided, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_UnknownApproval_Returns404()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync("apr_nope", "c-tr", new { decision = "approve", fingerprint = "abc" });

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Decide_CallNeverInTheApproval_Returns404AndDecidesNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-other", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        JsonElement problem = await AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
        Assert.Equal("c-other", problem.GetProperty("callId").GetString());
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_SecondDecision_Returns409AndKeepsTheFirst()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        TestUser dave = host.Client("dave", ApprovalTestHost.ApproverRole);
        string fingerprint = approval.Calls[0].Fingerprint;
        using HttpResponseMessage first = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint });

        using HttpResponseMessage second = await dave.DecideAsync(approval.Id, "c-tr", new { decision = "reject", reason = "no", fingerprint });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        JsonElement problem = await AssertProblemAsync(second, HttpStatusCode.Conflict, "conflict");
        Assert.Equal("Decided", problem.GetProperty("approvalStatus").GetString());
        PendingApproval stored = await host.Approvals.GetAsync(approval.Id);
        Assert.Equal(CallDecisionStatus.Approved, stored.Calls[0].Decision);
        Assert.Equal("alice", stored.Calls[0].DecidedBy);
    }

    [Fact]
    public async Task Decide_CallThePoliciesAllowed_Returns409NeverPending()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync("balance and transfer 150 to bob");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-bal", new { decision = "approve", fingerprint = approval.FindCall("c-bal")!.Fingerprint });

        JsonElement problem = await AssertProblemAsync(response, HttpStatusCode.Conflict, "conflict");
        Assert.Contains("never pending", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(host.Transfers);
    }

    [Fact]
    public async Task Decide_AfterTheDeadline_Returns410AndNothingRuns()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        host.Time.Advance(TimeSpan.FromDays(4));

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        await AssertProblemAsync(response, HttpStatusCode.Gone, "expired");
        Assert.Equal(ApprovalStatus.Expired, (await host.Approvals.GetAsync(approval.Id)).Status);
        Assert.Empty(host.Transfers);
    }

    [Fact]
    public async Task Decide_UserWithoutTheApproverPolicy_Returns403AndDecidesNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser mallory = host.Client("mallory");

        using HttpResponseMessage response = await mallory.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_RequesterApprovingOwnRequest_Returns403WhenSelfApprovalIsPrevented()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(preventSelfApproval: true);
        PendingApproval approval = await host.PauseAsync(requester: "alice");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        JsonElement problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("own request", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_ApproverNotNamedByThePolicy_Returns403()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync("wire 500 to eve");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        TestUser tina = host.Client("tina", ApprovalTestHost.ApproverRole, "treasurer");

        using HttpResponseMessage refused = await alice.DecideAsync(approval.Id, "c-wire", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });
        using HttpResponseMessage accepted = await tina.DecideAsync(approval.Id, "c-wire", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.True((await host.Client("tina", ApprovalTestHost.ApproverRole, "treasurer").Http.GetFromJsonAsync<ApprovalView>($"/approvals/{approval.Id}"))!.Calls[0].DecidedBy == "tina");
    }

    [Fact]
    public async Task Decide_FingerprintOfAnotherCall_Returns409AndDecidesNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval shown = await host.PauseAsync("transfer 150 to bob", conversationId: "conv-a");
        PendingApproval other = await host.PauseAsync("transfer 900 to eve", conversationId: "conv-b");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(other.Id, "c-tr", new { decision = "approve", fingerprint = shown.Calls[0].Fingerprint });

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "integrity");
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(other.Id)).Status);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"decision":"approve"}""", "fingerprint" },
        { """{"decision":"maybe","fingerprint":"f"}""", "decision" },
        { """{"fingerprint":"f"}""", "decision" },
        { """{"decision":"reject","fingerprint":"f"}""", "reason" },
        { """{"decision":"reject","fingerprint":"f","reason":"no","arguments":{"amount":1}}""", "arguments" },
        { """{"decision":"approve","fingerprint":"f","arguments":[1,2]}""", "arguments" },
        { """{"decision":"approve",""", "JSON" },
        { $$"""{"decision":"reject","fingerprint":"f","reason":"{{new string('x', 1001)}}"}""", "reason" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Decide_InvalidBody_Returns400AndDecidesNothing(string body, string mentioned)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/{approval.Id}/calls/c-tr/decision")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(alice.HeaderName, await alice.TokenAsync());

        using HttpResponseMessage response = await alice.Http.SendAsync(request);

        JsonElement problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        Assert.Contains(mentioned, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_PlainTextBody_Returns415()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/{approval.Id}/calls/c-tr/decision") { Content = new StringContent("approve") };
        request.Headers.Add(alice.HeaderName, await alice.TokenAsync());

        using HttpResponseMessage response = await alice.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Decide_WithoutAntiforgeryToken_Returns400AndDecidesNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        await alice.TokenAsync(); // the cookie alone, as a cross-site request would carry it

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint }, withToken: false);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "antiforgery");
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_AntiforgeryTokenOfAnotherUser_Returns400()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        TestUser mallory = host.Client("mallory", ApprovalTestHost.ApproverRole);
        await alice.TokenAsync();

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint }, token: await mallory.TokenAsync());

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "antiforgery");
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_Anonymous_Returns401()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser anonymous = host.Client(null);

        using HttpResponseMessage response = await anonymous.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint }, withToken: false);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Decide_AntiforgeryOff_AcceptsHeaderAuthenticatedCallsWithoutToken()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(configure: o => o.ValidateAntiforgery = false);
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint }, withToken: false);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string kind)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.EndsWith("/" + kind, problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        return problem;
    }
}
