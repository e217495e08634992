using HumanInLoop;

namespace BankingConsole;

/// <content>Gradual automation: the automation report, replays of candidate rules, and standing grants.</content>
internal sealed partial class BankingSession
{
    /// <summary>How the recorded calls turned out: in total, per tool and per policy, with the shadow candidate's agreement.</summary>
    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        // Calls decided at once are recorded in the background; wait for them, so the report includes the last request.
        await _approvals.FlushCallRecordsAsync(cancellationToken);
        _view.Report(await _approvals.History.ReportAsync(cancellationToken: cancellationToken));
    }

    /// <summary>What a rule set would have done with every recorded call: the looser candidate (default) or today's rules.</summary>
    private async Task ReplayAsync(string rest, CancellationToken cancellationToken)
    {
        (string name, IReadOnlyList<IApprovalPolicy> policies) = rest.Trim().ToLowerInvariant() switch
        {
            "" or "candidate" => (BankPolicies.CandidateName, BankPolicies.Candidate(_bank, _rules)),
            "current" => ("current-rules", BankPolicies.Current(_bank, _rules)),
            _ => throw new CommandException("replay takes no argument (the looser candidate) or 'current' (today's rules): replay [current]"),
        };
        await _approvals.FlushCallRecordsAsync(cancellationToken);
        _view.Replay(name, await _approvals.History.ReplayAsync(policies, maxListed: 20, cancellationToken: cancellationToken));
    }

    private async Task GrantsAsync(CancellationToken cancellationToken)
    {
        List<ApprovalGrant> grants = [];
        await foreach (ApprovalGrant grant in _approvals.Grants.ListAsync(cancellationToken: cancellationToken))
        {
            grants.Add(grant);
        }

        _view.Grants(grants, DateTimeOffset.UtcNow);
    }

    private async Task RevokeAsync(string rest, CancellationToken cancellationToken)
    {
        string[] words = rest.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2)
        {
            throw new CommandException("revoke needs a grant id and a reason: revoke <grantId> <reason>");
        }

        ApprovalGrant revoked = await _approvals.Grants.RevokeAsync(words[0], _approver, words[1].Trim(), cancellationToken);
        _view.Recorded("REVOKED", revoked.Id, reason: revoked.RevokeReason);
    }

    /// <summary>Finds the grant a decision on <paramref name="call"/> made, to show its id.</summary>
    private async Task ShowGrantAsync(PendingApproval approval, PendingToolCall call, CancellationToken cancellationToken)
    {
        await foreach (ApprovalGrant grant in _approvals.Grants.ListAsync(new GrantQuery { ToolName = call.ToolName }, cancellationToken))
        {
            if (grant.ApprovalId == approval.Id && grant.CallId == call.CallId)
            {
                _view.Grants([grant], DateTimeOffset.UtcNow);
                return;
            }
        }
    }

    /// <summary>An approval id as typed: <c>last</c> stands for the approval shown last.</summary>
    private string ResolveId(string word) =>
        word.Equals("last", StringComparison.OrdinalIgnoreCase)
            ? _lastShown ?? throw new CommandException("No approval has been shown yet, so 'last' names nothing.")
            : word;
}
