using Microsoft.Extensions.AI;

namespace HumanInLoop.Mcp.Tests;

/// <summary>The router style with MCP tools: a typed plan's actions judged by the same policies, held ones resumed after a restart.</summary>
public sealed class McpPlanTests : IDisposable
{
    private readonly FileServerState _files = new();

    public void Dispose() => _files.Dispose();

    private static PlannedAction[] Plan() =>
        [PlannedAction.Create("list_files", new { }), PlannedAction.Create("delete_file", new DeleteFile("report.txt"))];

    [Fact]
    public async Task Plan_ListRunsAtOnce_DeleteHeld_ApprovedAndResumedAfterRestart_RunsOnce()
    {
        McpAgent agent = new();
        PlanResult first;
        await using (FileServer before = await FileServer.StartAsync(_files))
        {
            first = await agent.Approvals.RunPlanAsync(Plan(), ApprovalService.ProtectTools(before.Tools));
        }

        Assert.Equal(1, _files.Invocations("list_files"));
        Assert.Equal(0, _files.Invocations("delete_file"));
        Assert.Equal(CallDecisionStatus.AwaitingApproval, first.Actions[1].Decision);
        string id = first.PendingApproval!.Id;
        await agent.Approvals.DecideAsync(id, "action-2", ApprovalDecision.Approve(McpAgent.Manager));

        await using FileServer after = await FileServer.StartAsync(_files);
        PlanResult resumed = await agent.Approvals.ResumePlanAsync(id, ApprovalService.ProtectTools(after.Tools));

        ActionOutcome delete = Assert.Single(resumed.Actions);
        Assert.Equal(CallExecutionStatus.Succeeded, delete.Execution);
        Assert.Equal("deleted report.txt", McpAgent.Text(delete.Result));
        Assert.Equal(1, _files.Invocations("delete_file"));
        Assert.False(_files.Exists("report.txt"));
        await Assert.ThrowsAsync<ApprovalConflictException>(() => agent.Approvals.ResumePlanAsync(id, ApprovalService.ProtectTools(after.Tools)));
        Assert.Equal(1, _files.Invocations("delete_file"));
    }

    [Fact]
    public async Task Plan_Rejected_NeverRuns()
    {
        McpAgent agent = new();
        await using FileServer server = await FileServer.StartAsync(_files);
        IList<AITool> tools = ApprovalService.ProtectTools(server.Tools);
        PlanResult first = await agent.Approvals.RunPlanAsync(Plan(), tools);
        await agent.Approvals.DecideAsync(first.PendingApproval!.Id, "action-2", ApprovalDecision.Reject(McpAgent.Manager, "Keep it."));

        PlanResult resumed = await agent.Approvals.ResumePlanAsync(first.PendingApproval.Id, tools);

        Assert.Equal(CallExecutionStatus.NotRun, Assert.Single(resumed.Actions).Execution);
        Assert.Equal(0, _files.Invocations("delete_file"));
        Assert.True(_files.Exists("report.txt"));
    }

    [Fact]
    public async Task Plan_ServerNoLongerOffersTheTool_ResumeRefusedTyped_NothingRuns()
    {
        McpAgent agent = new();
        PlanResult first;
        await using (FileServer before = await FileServer.StartAsync(_files))
        {
            first = await agent.Approvals.RunPlanAsync(Plan(), ApprovalService.ProtectTools(before.Tools));
        }

        string id = first.PendingApproval!.Id;
        await agent.Approvals.DecideAsync(id, "action-2", ApprovalDecision.Approve(McpAgent.Manager));
        await using FileServer without = await FileServer.StartAsync(_files, offerDelete: false);

        ApprovalToolMissingException missing = await Assert.ThrowsAsync<ApprovalToolMissingException>(
            () => agent.Approvals.ResumePlanAsync(id, ApprovalService.ProtectTools(without.Tools)));

        Assert.Equal(["delete_file"], missing.ToolNames);
        Assert.Equal(ApprovalStatus.Decided, (await agent.Approvals.GetAsync(id)).Status);
        Assert.Equal(0, _files.Invocations("delete_file"));
    }
}
