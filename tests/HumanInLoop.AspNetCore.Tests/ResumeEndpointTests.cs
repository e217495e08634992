using System.Text.Json;
using Microsoft.Extensions.AI;
using System.Net;

namespace HumanInLoop.AspNetCore.Tests;

public sealed class ResumeEndpointTests
{
    [Fact]
    public async Task Resume_Approved_StreamsToolResultThenTextThenDoneAndRunsOnce()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();

        using HttpResponseMessage response = await alice.ResumeAsync(approval.Id);
        List<SseEvent> events = await SseEvent.ReadAllAsync(response);

        Assert.Equal("tool_result", events[0].Event);
        Assert.Equal("c-tr", events[0].Data.GetProperty("callId").GetString());
        Assert.Equal("sent 150 to bob", events[0].Data.GetProperty("result").GetString());
        Assert.All(events[1..^1], e => Assert.Equal("text", e.Event));
        Assert.Equal("Done. c-tr=sent 150 to bob", string.Concat(events[1..^1].Select(e => e.Data.GetProperty("text").GetString())));
        Assert.Equal("done", events[^1].Event);
        Assert.Equal("conv-1", events[^1].Data.GetProperty("conversationId").GetString());
        Assert.Equal(("bob", 150m), Assert.Single(host.Transfers));
        Assert.Equal(ApprovalStatus.Completed, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Resume_TargetCallbackReadsAnUnreadableHistory_Returns500ProblemAndNothingRuns()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(configure: o => o.ResumeTarget = arguments =>
        {
            _ = arguments.Approval.Messages; // a host that restores its chat from the held conversation
            throw new InvalidOperationException("not reached: the conversation cannot be read");
        });
        PendingApproval approval = await host.PauseAsync();

        // The same record under another id, its conversation (kept apart by the store) well-formed but not messages.
        StateEntry entry = (await host.Approvals.Store.GetAsync(approval.Id))!;
        System.Text.Json.Nodes.JsonNode node = System.Text.Json.Nodes.JsonNode.Parse(entry.Data)!;
        node["id"] = "apr_damaged";
        Assert.True(await host.Approvals.Store.TryCreateAsync(entry with
        {
            Id = "apr_damaged",
            Data = node.ToJsonString(),
            History = """[{"role":"user","contents":[{"$type":"no-such-content"}]}]""",
        }));
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.ResumeAsync("apr_damaged");

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.InternalServerError, "unreadable");
        Assert.Empty(host.Transfers);
    }

    [Fact]
    public async Task Resume_Twice_SecondReturns409AndNothingRunsTwice()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();
        using HttpResponseMessage first = await alice.ResumeAsync(approval.Id);
        await SseEvent.ReadAllAsync(first);

        using HttpResponseMessage second = await alice.ResumeAsync(approval.Id);

        await DecideEndpointTests.AssertProblemAsync(second, HttpStatusCode.Conflict, "conflict");
        Assert.Single(host.Transfers);
    }

    [Fact]
    public async Task Resume_ManyAtOnce_ExactlyOneStreamsAndTheTransferRunsOnce()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();
        await alice.TokenAsync();

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => alice.ResumeAsync(approval.Id)));
        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
            await SseEvent.ReadAllAsync(responses.Single(r => r.StatusCode == HttpStatusCode.OK));
            Assert.Single(host.Transfers);
        }
        finally
        {
            foreach (HttpResponseMessage response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task Resume_BeforeEveryCallIsDecided_Returns409AndNothingRuns()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync("balance and transfer 150 to bob");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.ResumeAsync(approval.Id);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Conflict, "conflict");
        Assert.Empty(host.Transfers);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Resume_UnknownId_Returns404()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();

        using HttpResponseMessage response = await host.Client("alice", ApprovalTestHost.ApproverRole).ResumeAsync("apr_unknown");

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Resume_ByTheRequesterWithoutApproverRole_IsAllowed_ByAnotherCustomer_Returns404LikeAnUnknownId()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync(requester: "carol");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();

        using HttpResponseMessage stranger = await host.Client("mallory").ResumeAsync(approval.Id);
        await DecideEndpointTests.AssertProblemAsync(stranger, HttpStatusCode.NotFound, "not-found"); // may not read it: as an unknown id
        Assert.Empty(host.Transfers);

        using HttpResponseMessage requester = await host.Client("carol").ResumeAsync(approval.Id);
        Assert.Equal("done", (await SseEvent.ReadAllAsync(requester))[^1].Event);
        Assert.Single(host.Transfers);
    }

    [Fact]
    public async Task Resume_WithoutAntiforgeryToken_Returns400AndNothingRuns()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();

        using HttpResponseMessage response = await alice.ResumeAsync(approval.Id, withToken: false);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "antiforgery");
        Assert.Empty(host.Transfers);
        Assert.Equal(ApprovalStatus.Decided, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Resume_ToolNoLongerOffered_Returns503ToolMissing_NothingRunsAndTheApprovalWaits()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(configure: o =>
        {
            // The host's tools no longer include the approved one (an MCP server that dropped it): only check_balance is offered.
            Func<ApprovalResumeArguments, ValueTask<ApprovalResumeTarget>>? full = o.ResumeTarget;
            o.ResumeTarget = async arguments =>
            {
                ApprovalResumeTarget target = await full!(arguments);
                ChatOptions options = target.Options!.Clone();
                options.Tools = [.. options.Tools!.Where(t => t.Name != "transfer")];
                return new ApprovalResumeTarget(target.ChatClient, options);
            };
        });
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();

        using HttpResponseMessage response = await alice.ResumeAsync(approval.Id);

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "tool-missing");
        Assert.Equal(["transfer"], problem.GetProperty("toolNames").EnumerateArray().Select(n => n.GetString()));
        Assert.Empty(host.Transfers);
        Assert.Equal(ApprovalStatus.Decided, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Resume_TargetOptionsNameTheResumingUser_Returns403Forbidden_NothingRunsAndTheApprovalWaits()
    {
        // A host that builds the resume's context from the signed-in approver rather than from the approval (AISVS 9.2.3).
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(configure: o =>
        {
            Func<ApprovalResumeArguments, ValueTask<ApprovalResumeTarget>>? full = o.ResumeTarget;
            o.ResumeTarget = async arguments =>
            {
                ApprovalResumeTarget target = await full!(arguments);
                ChatOptions options = target.Options!.Clone().WithCallerContext(arguments.Approval.Context with { UserId = "alice" });
                return new ApprovalResumeTarget(target.ChatClient, options);
            };
        });
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();

        using HttpResponseMessage response = await alice.ResumeAsync(approval.Id);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Empty(host.Transfers);
        Assert.Equal(ApprovalStatus.Decided, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Resume_WithoutResumeTarget_Returns501()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(configureResume: false);
        PendingApproval approval = await host.PauseAsync();

        using HttpResponseMessage response = await host.Client("alice", ApprovalTestHost.ApproverRole).ResumeAsync(approval.Id);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.NotImplemented, "not-configured");
    }

    [Fact]
    public async Task Resume_Expired_TellsTheModelAndRunsNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        host.Time.Advance(TimeSpan.FromDays(4));

        using HttpResponseMessage response = await host.Client("alice", ApprovalTestHost.ApproverRole).ResumeAsync(approval.Id);
        List<SseEvent> events = await SseEvent.ReadAllAsync(response);

        Assert.Contains("expired", events[0].Data.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Equal("done", events[^1].Event);
        Assert.Empty(host.Transfers);
    }
}
