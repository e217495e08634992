using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace HumanInLoop.Mcp.Tests;

/// <summary>
/// The server side: an MCP server whose own delete_file is gated by HumanInLoop and asks the person at a real MCP client
/// through elicitation, when the client supports it.
/// </summary>
public sealed class ElicitationTests : IDisposable
{
    private readonly FileServerState _files = new();
    private readonly McpAgent _agent = new(); // only its approval service and policies: the client here is a person, not a model

    public void Dispose() => _files.Dispose();

    private Task<FileServer> StartGatedAsync(Func<ElicitRequestParams?, ElicitResult>? person)
    {
        AIFunction delete = AIFunctionFactory.Create((string path) => FileServer.Delete(_files, path), "delete_file", "Deletes a file for good.");
        McpClientOptions client = new();
        if (person is not null)
        {
            client.Handlers.ElicitationHandler = (request, _) => ValueTask.FromResult(person(request));
        }

        return FileServer.StartAsync(_files, offerDelete: false,
            extraTools: [ElicitingApprovalTool.Create(_agent.Approvals, delete, _ => new Approver("client-user"))], clientOptions: client);
    }

    private static ElicitResult Answer(string action, bool approve, string? reason = null) => new()
    {
        Action = action,
        Content = action == "accept"
            ? new Dictionary<string, JsonElement> { ["approve"] = JsonSerializer.SerializeToElement(approve), ["reason"] = JsonSerializer.SerializeToElement(reason ?? "") }
            : null,
    };

    private static async Task<string> CallAsync(FileServer server, string path) =>
        McpAgent.Text(await server.Tool("delete_file").InvokeAsync(new AIFunctionArguments { ["path"] = path }));

    [Fact]
    public async Task HeldCall_PersonAtTheClientApproves_RunsOnce_DecisionRecordedAsThem()
    {
        List<string> asked = [];
        await using FileServer server = await StartGatedAsync(request => { asked.Add(request!.Message); return Answer("accept", approve: true); });

        string result = await CallAsync(server, "report.txt");

        Assert.Equal("deleted report.txt", result);
        Assert.Contains("Deleting a kept file needs a person.", Assert.Single(asked), StringComparison.Ordinal);
        Assert.Equal(1, _files.Invocations("delete_file"));
        Assert.False(_files.Exists("report.txt"));
        PendingApproval done = Assert.Single((await _agent.Approvals.ListAsync(new StateQuery())).Approvals);
        Assert.Equal(ApprovalStatus.Completed, done.Status);
        Assert.Equal("client-user", Assert.Single(done.Calls).DecidedBy);
    }

    [Fact]
    public async Task AllowedCall_NoOneAsked_RunsAtOnce()
    {
        int asked = 0;
        await using FileServer server = await StartGatedAsync(_ => { asked++; return Answer("accept", approve: true); });

        Assert.Equal("deleted tmp/scratch.txt", await CallAsync(server, "tmp/scratch.txt"));
        Assert.Equal(0, asked);
        Assert.Equal(1, _files.Invocations("delete_file"));
    }

    [Fact]
    public async Task HeldCall_PersonDeclines_NeverRuns_ReasonReturned()
    {
        await using FileServer server = await StartGatedAsync(_ => Answer("accept", approve: false, "Still needed."));

        string result = await CallAsync(server, "report.txt");

        Assert.Contains("Still needed.", result, StringComparison.Ordinal);
        Assert.Equal(0, _files.Invocations("delete_file"));
        Assert.True(_files.Exists("report.txt"));
    }

    [Fact]
    public async Task ClientWithoutElicitation_CallStaysHeld_NothingRuns_DecidedElsewhereThenRunsOnce()
    {
        await using FileServer server = await StartGatedAsync(person: null);

        string result = await CallAsync(server, "report.txt");

        Assert.Contains("Held for approval", result, StringComparison.Ordinal);
        Assert.Equal(0, _files.Invocations("delete_file"));
        PendingApproval held = Assert.Single((await _agent.Approvals.ListAsync(new StateQuery { Status = ApprovalStatus.Pending })).Approvals);
        Assert.Contains(held.Id, result, StringComparison.Ordinal);

        await _agent.Approvals.DecideAsync(held.Id, held.AwaitingApproval.Single().CallId, ApprovalDecision.Approve(McpAgent.Manager));
        await _agent.Approvals.ResumePlanAsync(held.Id, ApprovalService.ProtectTools(AIFunctionFactory.Create((string path) => FileServer.Delete(_files, path), "delete_file")));
        Assert.Equal(1, _files.Invocations("delete_file"));
    }

    [Fact]
    public async Task HeldCall_PersonDismissesTheForm_StaysHeld_NothingRuns()
    {
        await using FileServer server = await StartGatedAsync(_ => Answer("cancel", approve: false));

        string result = await CallAsync(server, "report.txt");

        Assert.Contains("dismissed", result, StringComparison.Ordinal);
        Assert.Equal(0, _files.Invocations("delete_file"));
        Assert.Equal(ApprovalStatus.Pending, Assert.Single((await _agent.Approvals.ListAsync(new StateQuery())).Approvals).Status);
    }
}
