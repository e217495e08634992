using System.Net;
using System.Text.Json;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>
/// What a refused decision tells a page beyond its title and detail, so that the console can say it in plain words: that a
/// requester was refused by the self-approval rule (and only then), and the deadline that passed.
/// </summary>
public sealed class DecideRefusalProblemTests
{
    [Fact]
    public async Task Decide_RequesterApprovingOwnRequest_ProblemSaysSelfApproval()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(preventSelfApproval: true);
        PendingApproval approval = await host.PauseAsync(requester: "alice");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.True(problem.GetProperty("selfApproval").GetBoolean());
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_RequesterNotNamedByThePolicy_SelfApprovalAllowed_ProblemDoesNotSaySelfApproval()
    {
        // The requester is refused, but because only the treasurer may decide wires: the page must not blame the self-approval rule.
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(preventSelfApproval: false);
        PendingApproval approval = await host.PauseAsync("wire 500 to eve", requester: "alice");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-wire", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.False(problem.TryGetProperty("selfApproval", out _));
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_AnotherApproverNotNamedByThePolicy_ProblemDoesNotSaySelfApproval()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(preventSelfApproval: true);
        PendingApproval approval = await host.PauseAsync("wire 500 to eve");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-wire", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.False(problem.TryGetProperty("selfApproval", out _));
    }

    [Fact]
    public async Task Decide_AfterTheDeadline_ProblemCarriesTheDeadlineThatPassed()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        host.Time.Advance(TimeSpan.FromDays(4));

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Gone, "expired");
        Assert.Equal(approval.ExpiresAt, problem.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.False(problem.TryGetProperty("selfApproval", out _));
    }

    [Fact]
    public async Task Decide_EditedArgumentAPolicyDenies_ProblemNamesThatArgument()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(approvals: o => o.Policies.Add(ApprovalPolicy.Create(c =>
            c.ToolName == "transfer" && c.Arguments.GetProperty("to").GetString() == "mallory" ? PolicyVerdict.Deny("The recipient in 'to' is blocked.") : PolicyVerdict.NotApplicable)));
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, arguments = new { to = "mallory", amount = 120 } });

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(["to"], problem.GetProperty("arguments").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Decide_NotAnApprover_ProblemNamesNoArgument()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync("wire 500 to eve");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-wire", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.False(problem.TryGetProperty("arguments", out _));
    }
}
