using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>
/// The SSE <c>approval_required</c> event and the inbox say the same <c>canDecide</c> for the same user and call: one function
/// decides it, with the reader made an approver by the endpoints' own rule.
/// </summary>
public sealed class CanDecideAgreementTests
{
    /// <summary>How the host's resume target sets the stream: not at all, or only a completion callback (as the SseChat sample does).</summary>
    public enum TargetStream { None, OnCompletedOnly }

    [Theory]
    [InlineData(TargetStream.None, "transfer", false)]
    [InlineData(TargetStream.OnCompletedOnly, "transfer", false)]
    [InlineData(TargetStream.OnCompletedOnly, "wire", false)]
    [InlineData(TargetStream.OnCompletedOnly, "wire", true)]
    public async Task ResumePausesAgain_ApprovalRequiredEvent_SaysWhatTheInboxSays(TargetStream stream, string secondTool, bool treasurerByRule)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(configure: o =>
        {
            Func<ApprovalResumeArguments, ValueTask<ApprovalResumeTarget>> full = o.ResumeTarget!;
            if (stream == TargetStream.OnCompletedOnly)
            {
                o.ResumeTarget = async arguments => await full(arguments) with { SseOptions = new ChatSseOptions { OnCompleted = (_, _) => ValueTask.CompletedTask } };
            }

            if (treasurerByRule)
            {
                // The host's own rule: approvers named "alice" act as treasurers. Both views must use it.
                o.ApproverFromUser = user => new Approver(user.FindFirst(ClaimTypes.NameIdentifier)!.Value, ["approver", "treasurer"]);
            }
        });
        Func<IReadOnlyList<ChatMessage>, ChatResponse> first = host.Model.Respond;
        host.Model.Respond = messages => messages.Count(m => m.Role == ChatRole.Tool) == 1 && messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Calls(ScriptedChatClient.Call("c-2", secondTool, new Dictionary<string, object?> { ["to"] = "eve", ["amount"] = 300m }))
            : first(messages);
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();

        using HttpResponseMessage response = await alice.ResumeAsync(approval.Id);
        SseEvent pause = (await SseEvent.ReadAllAsync(response))[^1];
        Assert.Equal("approval_required", pause.Event);
        JsonElement streamed = Assert.Single(pause.Data.GetProperty("calls").EnumerateArray());
        string nextId = pause.Data.GetProperty("approvalId").GetString()!;
        ApprovalListResult inbox = (await alice.Http.GetFromJsonAsync<ApprovalListResult>("/approvals"))!;
        ApprovalCallView listed = Assert.Single(Assert.Single(inbox.Items, i => i.Id == nextId).Calls);
        JsonElement read = await alice.Http.GetFromJsonAsync<JsonElement>($"/approvals/{nextId}");

        bool expected = secondTool == "transfer" || treasurerByRule;
        Assert.Equal(expected, listed.CanDecide);
        Assert.Equal(listed.CanDecide, read.GetProperty("calls")[0].GetProperty("canDecide").GetBoolean());
        Assert.Equal(listed.CanDecide, streamed.GetProperty("canDecide").GetBoolean());
    }

    [Fact]
    public async Task CanDecide_PoliciesNameNoCommonApprover_Nobody_AsTheDecisionRefuses()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(approvals: o =>
            o.Policies.Add(ApprovalPolicy.RequireApproval("wire", "Clerks decide wires.", approvers: ["clerk"]))); // wires also need the treasurer
        PendingApproval approval = await host.PauseAsync("wire 150 to bob");
        PendingToolCall call = approval.Calls.Single();

        Assert.False(ApprovalViews.CanDecide(approval, call, new Approver("t", ["treasurer", "clerk"])));
        Assert.False(ApprovalViews.CanDecide(approval, call, new Approver("m", ["\u0000no-common-approver"])));
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() =>
            host.Approvals.DecideAsync(approval.Id, call.CallId, ApprovalDecision.Approve(new Approver("m", ["\u0000no-common-approver"]))));
    }

    [Fact]
    public async Task CanDecide_ApproverOfAnotherTenant_False_AsTheDecisionAnswersNotFound()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync(tenant: "t1");
        PendingToolCall call = approval.Calls.Single();
        Approver ofT2 = new("alice", [ApprovalTestHost.ApproverRole]) { TenantId = "t2" };

        Assert.False(ApprovalViews.CanDecide(approval, call, ofT2));
        Assert.True(ApprovalViews.CanDecide(approval, call, ofT2 with { TenantId = "t1" }));
        Assert.True(ApprovalViews.CanDecide(approval, call, ofT2 with { TenantId = null }));
        await Assert.ThrowsAsync<ApprovalNotFoundException>(() => host.Approvals.DecideAsync(approval.Id, call.CallId, ApprovalDecision.Approve(ofT2)));
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }
}
