using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace HumanInLoop.Mcp.Tests;

/// <summary>
/// The server side (the recipe of docs/mcp.md): an MCP server's own tool gated by HumanInLoop. Each call is judged by the
/// policies as a one-action plan; one that needs a person is held, and when the client supports elicitation the person at
/// the client is asked through MCP; otherwise (or when they dismiss the form) the call stays held for approvers elsewhere.
/// </summary>
public static class ElicitingApprovalTool
{
    /// <summary>Wraps <paramref name="tool"/> (a <c>delete_file(path)</c>) as an MCP server tool of the same name whose calls go through <paramref name="approvals"/>.</summary>
    /// <param name="approverOf">Who answers the elicitation of a session: the host maps its authenticated client user.</param>
    public static McpServerTool Create(ApprovalService approvals, AIFunction tool, Func<McpServer, Approver> approverOf)
    {
        IList<AITool> tools = ApprovalService.ProtectTools(tool);
        return McpServerTool.Create(
            async (McpServer server, string path, CancellationToken cancellationToken) =>
            {
                PlanResult plan = await approvals.RunPlanAsync([PlannedAction.Create(tool.Name, new DeleteFile(path))], tools, null, cancellationToken);
                if (plan.PendingApproval is not { } held)
                {
                    return Answer(plan.Actions[0]);
                }

                PendingToolCall call = held.AwaitingApproval.Single();
                if (server.ClientCapabilities?.Elicitation is null)
                {
                    return $"Held for approval '{held.Id}' ({call.PolicyReason}); nothing ran. A person decides outside this session.";
                }

                ElicitResult answer = await server.ElicitAsync(new ElicitRequestParams
                {
                    Message = $"{call.PolicyReason} Approve {tool.Name} with {call.Arguments.GetRawText()}?",
                    RequestedSchema = new ElicitRequestParams.RequestSchema
                    {
                        Properties =
                        {
                            ["approve"] = new ElicitRequestParams.BooleanSchema { Description = "Run it." },
                            ["reason"] = new ElicitRequestParams.StringSchema { Description = "Why not (told to the model)." },
                        },
                        Required = ["approve"],
                    },
                }, cancellationToken);
                if (answer.Action == "cancel")
                {
                    return $"Held for approval '{held.Id}' ({call.PolicyReason}); the form was dismissed and nothing ran.";
                }

                Approver approver = approverOf(server);
                bool approved = answer.IsAccepted && answer.Content?.TryGetValue("approve", out JsonElement yes) == true && yes.ValueKind == JsonValueKind.True;
                string reason = answer.Content?.TryGetValue("reason", out JsonElement why) == true && why.ValueKind == JsonValueKind.String && why.GetString() is { Length: > 0 } text
                    ? text
                    : "Declined at the client.";
                await approvals.DecideAsync(held.Id, call.CallId, approved
                    ? ApprovalDecision.Approve(approver) with { ExpectedFingerprint = call.Fingerprint }
                    : ApprovalDecision.Reject(approver, reason) with { ExpectedFingerprint = call.Fingerprint }, cancellationToken);
                return Answer((await approvals.ResumePlanAsync(held.Id, tools, cancellationToken)).Actions[0]);
            },
            new McpServerToolCreateOptions { Name = tool.Name, Description = tool.Description, Destructive = true });
    }

    private static string Answer(ActionOutcome outcome) => outcome.Execution == CallExecutionStatus.Succeeded
        ? McpAgent.Text(outcome.Result)
        : $"Not run ({outcome.Decision}): {outcome.Reason}";
}
