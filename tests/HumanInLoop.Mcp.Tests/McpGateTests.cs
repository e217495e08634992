using Microsoft.Extensions.AI;

namespace HumanInLoop.Mcp.Tests;

/// <summary>Tools listed from a real MCP server, behind the gate: held by argument, approved, resumed after a restart, run once.</summary>
public sealed class McpGateTests : IDisposable
{
    private readonly FileServerState _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ArgumentPolicy_SeesTheMcpCallsArguments_ScratchFileRunsAtOnce_KeptFileHeld(bool streaming)
    {
        McpAgent agent = new();
        await using FileServer server = await FileServer.StartAsync(_files);
        ChatOptions options = McpAgent.Options(server.Tools);

        ChatResponse allowed = await agent.SendAsync("delete tmp/scratch.txt", options, streaming);
        PendingApproval held = await agent.SendHeldAsync("list and delete report.txt", options, streaming);

        Assert.Contains("deleted tmp/scratch.txt", allowed.Text, StringComparison.Ordinal);
        Assert.False(_files.Exists("tmp/scratch.txt"));
        PendingToolCall call = Assert.Single(held.AwaitingApproval);
        Assert.Equal("delete_file", call.ToolName);
        Assert.Equal("report.txt", call.Arguments.GetProperty("path").GetString());
        Assert.Equal("Deleting a kept file needs a person.", call.PolicyReason);
        Assert.Equal(1, _files.Invocations("delete_file"));
        Assert.Equal(0, _files.Invocations("list_files")); // the harmless call of the held batch waits with it
        Assert.True(_files.Exists("report.txt"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HeldDelete_ApprovedAfterServerRestart_ResumedWithFreshlyListedTools_RunsOnce(bool streaming)
    {
        McpAgent agent = new();
        PendingApproval held;
        await using (FileServer before = await FileServer.StartAsync(_files))
        {
            held = await agent.SendHeldAsync("list and delete report.txt", McpAgent.Options(before.Tools), streaming);
        }

        await agent.Approvals.DecideAsync(held.Id, "call-delete", ApprovalDecision.Approve(McpAgent.Manager));
        Assert.True(_files.Exists("report.txt"));
        Assert.Equal(0, _files.Invocations("delete_file"));

        await using FileServer after = await FileServer.StartAsync(_files);
        ChatOptions fresh = McpAgent.Options(after.Tools);
        ChatResponse resumed = await agent.ResumeAsync(held.Id, fresh, streaming);

        Assert.Contains("deleted report.txt", resumed.Text, StringComparison.Ordinal);
        Assert.False(_files.Exists("report.txt"));
        Assert.Equal(1, _files.Invocations("delete_file"));
        Assert.Equal(1, _files.Invocations("list_files"));
        PendingApproval done = await agent.Approvals.GetAsync(held.Id);
        Assert.Equal(ApprovalStatus.Completed, done.Status);
        Assert.All(done.Calls, c => Assert.Equal(CallExecutionStatus.Succeeded, c.Execution));
        Assert.Equal("deleted report.txt", McpAgent.Text(done.Calls.Single(c => c.CallId == "call-delete").Result));

        // A second resume finds it completed; the server is not called again.
        await Assert.ThrowsAsync<ApprovalConflictException>(() => agent.ResumeAsync(held.Id, fresh, streaming));
        Assert.Equal(1, _files.Invocations("delete_file"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HeldDelete_Rejected_NeverReachesTheServer_ModelToldWhy(bool streaming)
    {
        McpAgent agent = new();
        await using FileServer server = await FileServer.StartAsync(_files);
        ChatOptions options = McpAgent.Options(server.Tools);
        PendingApproval held = await agent.SendHeldAsync("delete report.txt", options, streaming);

        await agent.Approvals.DecideAsync(held.Id, "call-delete", ApprovalDecision.Reject(McpAgent.Manager, "The report is still needed."));
        ChatResponse resumed = await agent.ResumeAsync(held.Id, options, streaming);

        Assert.Contains("The report is still needed.", resumed.Text, StringComparison.Ordinal);
        Assert.Equal(0, _files.Invocations("delete_file"));
        Assert.True(_files.Exists("report.txt"));
        Assert.Equal(CallExecutionStatus.NotRun, (await agent.Approvals.GetAsync(held.Id)).Calls.Single().Execution);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServerNoLongerOffersTheApprovedTool_ResumeRefusedTyped_NothingRunOrChanged_ThenRunsWhenOfferedAgain(bool streaming)
    {
        McpAgent agent = new();
        PendingApproval held;
        await using (FileServer before = await FileServer.StartAsync(_files))
        {
            held = await agent.SendHeldAsync("list and delete report.txt", McpAgent.Options(before.Tools), streaming);
        }

        await agent.Approvals.DecideAsync(held.Id, "call-delete", ApprovalDecision.Approve(McpAgent.Manager));
        long version = (await agent.Store.GetAsync(held.Id))!.Version;

        await using (FileServer without = await FileServer.StartAsync(_files, offerDelete: false))
        {
            ApprovalToolMissingException missing = await Assert.ThrowsAsync<ApprovalToolMissingException>(
                () => agent.ResumeAsync(held.Id, McpAgent.Options(without.Tools), streaming));
            Assert.Equal(["delete_file"], missing.ToolNames);
            Assert.Equal(held.Id, missing.ApprovalId);
            Assert.Contains("delete_file", missing.Message, StringComparison.Ordinal);
        }

        Assert.Equal(version, (await agent.Store.GetAsync(held.Id))!.Version);
        Assert.Equal(ApprovalStatus.Decided, (await agent.Approvals.GetAsync(held.Id)).Status);
        Assert.Equal(0, _files.Invocations("delete_file"));
        Assert.Equal(0, _files.Invocations("list_files")); // nothing of the batch ran, not even the harmless call
        Assert.True(_files.Exists("report.txt"));

        await using FileServer back = await FileServer.StartAsync(_files);
        await agent.ResumeAsync(held.Id, McpAgent.Options(back.Tools), streaming);
        Assert.Equal(1, _files.Invocations("delete_file"));
        Assert.False(_files.Exists("report.txt"));
    }

    [Fact]
    public async Task ServerNoLongerOffersTheApprovedTool_HostCancels_NothingRuns()
    {
        McpAgent agent = new();
        await using FileServer server = await FileServer.StartAsync(_files, offerDelete: true);
        PendingApproval held = await agent.SendHeldAsync("delete report.txt", McpAgent.Options(server.Tools), streaming: false);
        await agent.Approvals.DecideAsync(held.Id, "call-delete", ApprovalDecision.Approve(McpAgent.Manager));
        await using FileServer without = await FileServer.StartAsync(_files, offerDelete: false);

        ApprovalToolMissingException missing = await Assert.ThrowsAsync<ApprovalToolMissingException>(
            () => agent.Approvals.ResumeAsync(held.Id, agent.Pipeline, McpAgent.Options(without.Tools)));
        await agent.Approvals.CancelAsync(missing.ApprovalId!, McpAgent.Manager, "The file server no longer offers delete_file.");

        Assert.Equal(ApprovalStatus.Cancelled, (await agent.Approvals.GetAsync(held.Id)).Status);
        await Assert.ThrowsAsync<ApprovalConflictException>(() => agent.Approvals.ResumeAsync(held.Id, agent.Pipeline, McpAgent.Options(server.Tools)));
        Assert.Equal(0, _files.Invocations("delete_file"));
    }
}
