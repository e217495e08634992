using System.Text.Json;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One recorded call a replay lists: the call as it was proposed, what a person decided, and what the candidate said.</summary>
/// <param name="ApprovalId">The approval that held it.</param>
/// <param name="CallId">The call.</param>
/// <param name="ToolName">The tool.</param>
/// <param name="Arguments">The arguments exactly as the model proposed them.</param>
/// <param name="RequestedBy">The user whose conversation made the call.</param>
/// <param name="SeenAt">When the gate judged it (UTC).</param>
/// <param name="Outcome">What became of it: a name of <see cref="CallOutcome"/>.</param>
/// <param name="DecidedBy">Who decided.</param>
/// <param name="DecisionReason">The reason the person gave.</param>
/// <param name="CandidatePolicies">The candidate policies that decided it.</param>
internal sealed record ConsoleReplayRow(
    string? ApprovalId, string CallId, string ToolName, JsonElement Arguments, string? RequestedBy, DateTimeOffset SeenAt, string Outcome,
    string? DecidedBy, string? DecisionReason, IReadOnlyList<string> CandidatePolicies)
{
    public static ConsoleReplayRow From(ReplayFinding finding) => new(
        finding.Call.ApprovalId, finding.Call.CallId, finding.Call.ToolName, finding.Call.Arguments, finding.Call.Context.UserId, finding.Call.SeenAt,
        finding.Call.Outcome.ToString(), finding.Call.DecidedBy, finding.Call.DecisionReason, finding.Candidate.Policies);
}
