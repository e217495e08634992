using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>The decide endpoint's <c>respond</c> kind: a person's answer in place of the tool.</summary>
public sealed class RespondEndpointTests
{
    private const string Answer = "The account is frozen; tell the customer to call the branch.";

    [Fact]
    public async Task Decide_Respond_RecordedAsThePersonsAnswer_ResumeSendsItAndTheToolNeverRuns()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr",
            new { decision = "respond", result = Answer, reason = "Frozen since Monday.", fingerprint = approval.Calls[0].Fingerprint, approver = "mallory" });

        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        ApprovalView view = (await decided.Content.ReadFromJsonAsync<ApprovalView>())!;
        Assert.Equal(("Decided", "Responded", "alice", "NotRun"), (view.Status, view.Calls[0].Decision, view.Calls[0].DecidedBy, view.Calls[0].Execution));
        Assert.Equal(Answer, view.Calls[0].Response!.Value.GetString());
        using HttpResponseMessage resumed = await alice.ResumeAsync(approval.Id);
        List<SseEvent> events = await SseEvent.ReadAllAsync(resumed);

        Assert.Empty(host.Transfers);
        SseEvent result = Assert.Single(events, e => e.Event == "tool_result");
        Assert.Equal(Answer, result.Data.GetProperty("result").GetString());
        Assert.Equal("done", events[^1].Event);
        PendingToolCall stored = (await host.Approvals.GetAsync(approval.Id)).Calls[0];
        Assert.Equal((CallDecisionStatus.Responded, "Frozen since Monday."), (stored.Decision, stored.DecisionReason));
    }

    [Fact]
    public async Task Decide_RespondWithJsonResult_StoredAsJson()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr",
            new { decision = "respond", result = new { status = "done by hand", reference = "BR-7" }, fingerprint = approval.Calls[0].Fingerprint });

        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        JsonElement stored = (await host.Approvals.GetAsync(approval.Id)).Calls[0].Result!.Value;
        Assert.Equal("BR-7", stored.GetProperty("reference").GetString());
    }

    [Fact]
    public async Task Decide_RespondAsAFormPost_ResultIsText()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        AntiforgeryTokenResult token = (await alice.Http.GetFromJsonAsync<AntiforgeryTokenResult>("/approvals/antiforgery"))!;
        using FormUrlEncodedContent form = new(new Dictionary<string, string>
        {
            ["decision"] = "respond",
            ["result"] = "{\"not\":\"parsed\"}",
            ["fingerprint"] = approval.Calls[0].Fingerprint,
            [token.FormFieldName] = token.Token,
        });

        using HttpResponseMessage response = await alice.Http.PostAsync($"/approvals/{approval.Id}/calls/c-tr/decision", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"not\":\"parsed\"}", (await host.Approvals.GetAsync(approval.Id)).Calls[0].Result!.Value.GetString());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"decision":"respond","fingerprint":"f"}""", "'result' is required" },
        { """{"decision":"respond","fingerprint":"f","result":null}""", "'result' is required" },
        { """{"decision":"respond","fingerprint":"f","result":"   "}""", "'result' is empty" },
        { """{"decision":"respond","fingerprint":"f","result":{}}""", "'result' is empty" },
        { """{"decision":"respond","fingerprint":"f","result":"x","arguments":{"amount":1}}""", "arguments" },
        { """{"decision":"respond","fingerprint":"f","result":"x","grant":{"scope":"user","duration":"PT1H"}}""", "grant" },
        { $$"""{"decision":"respond","fingerprint":"f","result":"{{new string('x', 33 * 1024)}}"}""", "longer than" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Decide_InvalidRespond_Returns400AndDecidesNothing(string body, string mentioned)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/{approval.Id}/calls/c-tr/decision")
        {
            Content = new StringContent(body.Replace("\"f\"", $"\"{approval.Calls[0].Fingerprint}\"", StringComparison.Ordinal), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(alice.HeaderName, await alice.TokenAsync());

        using HttpResponseMessage response = await alice.Http.SendAsync(request);

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        Assert.Contains(mentioned, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_RespondByTheRequester_OrByAnApproverThePolicyDoesNotName_Returns403AndDecidesNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(preventSelfApproval: true);
        PendingApproval own = await host.PauseAsync(requester: "alice");
        PendingApproval wire = await host.PauseAsync("wire 500 to eve", conversationId: "conv-2");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage self = await alice.DecideAsync(own.Id, "c-tr", new { decision = "respond", result = Answer, fingerprint = own.Calls[0].Fingerprint });
        using HttpResponseMessage notNamed = await alice.DecideAsync(wire.Id, "c-wire", new { decision = "respond", result = Answer, fingerprint = wire.Calls[0].Fingerprint });

        await DecideEndpointTests.AssertProblemAsync(self, HttpStatusCode.Forbidden, "forbidden");
        await DecideEndpointTests.AssertProblemAsync(notNamed, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(own.Id)).Status);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(wire.Id)).Status);
    }
}
