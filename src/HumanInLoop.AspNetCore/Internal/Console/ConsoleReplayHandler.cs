using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The console's replay: one of the host's candidate policy sets (<see cref="ApprovalConsoleOptions.ReplayCandidates"/>) judged over a
/// window of recorded calls by <see cref="ApprovalHistory.ReplayAsync"/>, in the user's tenant scope. Runs no tool and changes no record.
/// The counts are complete; each listed call shows its arguments, so each is shown only if the reader policy allows its approval. Thread-safe.
/// </summary>
internal sealed class ConsoleReplayHandler(ConsoleSettings settings)
{
    private const int MaxListed = 100;
    private readonly ApprovalEndpointOptions _options = settings.Endpoints;

    public async Task<Results<Ok<ConsoleReplay>, ProblemHttpResult>> GetAsync(
        HttpContext http, string? candidate, string? from, string? to, string? tool, string? tenant, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, _options.ReaderPolicy, null) is { } refused)
        {
            return refused;
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, _options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        (ConsoleWindow? window, ProblemHttpResult? invalid) = ConsoleWindow.Parse(from, to, tool, tenant, ConsoleClock.Now(http));
        if (invalid is not null)
        {
            return invalid;
        }

        List<string> names = [.. settings.ReplayCandidates.Keys];
        if (string.IsNullOrWhiteSpace(candidate))
        {
            return TypedResults.Ok(new ConsoleReplay(names, null, window!.From, window.To, 0, 0, 0, 0, 0, 0, 0, 0, 0, [], 0, []));
        }

        if (!settings.ReplayCandidates.TryGetValue(candidate, out IReadOnlyList<IApprovalPolicy>? policies))
        {
            return ApprovalProblems.BadRequest($"No candidate is named '{candidate}'; the console offers {(names.Count == 0 ? "none" : string.Join(", ", names))}.");
        }

        try
        {
            await approvals!.FlushCallRecordsAsync(cancellationToken);
            ReplayReport report = await approvals.History.ReplayAsync(policies, window!.ToQuery(), maxListed: MaxListed, cancellationToken: cancellationToken);
            List<ConsoleReplayRow> shown = [];
            int hidden = 0;
            foreach (ReplayFinding finding in report.FalseApprovals)
            {
                if (await MayReadAsync(http, approvals, finding.Call.ApprovalId, cancellationToken))
                {
                    shown.Add(ConsoleReplayRow.From(finding));
                }
                else
                {
                    hidden++;
                }
            }

            return TypedResults.Ok(new ConsoleReplay(
                names, candidate, window.From, window.To, report.Calls, report.WouldAllow, report.WouldRequireApproval, report.WouldDeny,
                report.AutomationRate, report.RecordedAutomationRate, report.FalseApprovalCount, report.NeedlessAskCount, report.ErrorCount,
                shown, hidden, report.AlwaysApprovedTools));
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }
    }

    // A false approval was decided by a person, so it always has an approval: the reader policy is asked about it, as for the inbox.
    private async Task<bool> MayReadAsync(HttpContext http, ApprovalService approvals, string? approvalId, CancellationToken cancellationToken)
    {
        if (approvalId is null)
        {
            return false;
        }

        try
        {
            PendingApproval approval = await approvals.GetApprovalAsync(approvalId, cancellationToken);
            return await AuthorizeAsync(http, _options.ReaderPolicy, approval) is null;
        }
        catch (ApprovalException)
        {
            return false; // unreadable now: not shown (fail closed)
        }
    }
}
