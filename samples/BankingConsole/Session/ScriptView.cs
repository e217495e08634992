using System.Globalization;
using HumanInLoop;

namespace BankingConsole;

/// <summary>
/// Plain lines for scripts and tests: one record per line, a keyword first, and every command ends with exactly one
/// <c>OK &lt;command&gt;</c> or <c>ERROR &lt;message&gt;</c>. The protocol is described in README.md.
/// </summary>
internal sealed class ScriptView(TextWriter output) : IBankView
{
    public bool IsInteractive => false;

    public void Ready(BankMode mode, string model, string dataDirectory, string approver) =>
        Line($"READY mode={mode.ToString().ToLowerInvariant()} model={model} approver={approver} data={dataDirectory}");

    public void Pending(PendingApproval approval)
    {
        foreach (PendingToolCall call in approval.AwaitingApproval)
        {
            Line($"PENDING {approval.Id} {call.ToolName} {call.Arguments.GetRawText()} call={call.CallId} reason={call.PolicyReason}");
        }
    }

    public void Unfinished(PendingApproval approval) => Line($"{approval.Status.ToString().ToUpperInvariant()} {approval.Id}");

    public void Result(string tool, string arguments, string text) => Line($"RESULT {tool} {arguments} {text}");

    public void Answer(string text) => Line($"ANSWER {text}");

    public void Recorded(string what, string approvalId, string? callId = null, string? reason = null) =>
        Line($"{what} {approvalId}{(callId is null ? "" : " " + callId)}{(reason is null ? "" : " reason=" + reason)}");

    public void Balances(IReadOnlyList<AccountBalance> balances)
    {
        foreach (AccountBalance balance in balances)
        {
            Line($"BALANCE {balance.Account} {Money.Plain(Money.FromCents(balance.Cents))}");
        }
    }

    public void Ledger(IReadOnlyList<LedgerEntry> entries)
    {
        foreach (LedgerEntry e in entries)
        {
            Line(string.Create(CultureInfo.InvariantCulture,
                $"LEDGER {e.Id} {e.Kind} {e.From ?? "-"} {e.To} {Money.Plain(Money.FromCents(e.Cents))} key={e.IdempotencyKey ?? "-"} approval={e.ApprovalId ?? "-"}"));
        }
    }

    public void Help()
    {
        foreach (string line in SessionCommands.Help)
        {
            Line($"HELP {line}");
        }
    }

    public void Report(AutomationReport report)
    {
        Line($"REPORT total {AutomationText.Figures(report.Total)}");
        foreach ((string tool, AutomationFigures figures) in report.ByTool)
        {
            Line($"REPORT tool={tool} {AutomationText.Figures(figures)}");
        }

        foreach ((string policy, AutomationFigures figures) in report.ByPolicy)
        {
            Line($"REPORT policy={policy} {AutomationText.Figures(figures)}");
        }

        // Which rules were in force: the label and content hash of appsettings.json's rules when each call was judged.
        foreach ((string version, AutomationFigures figures) in report.ByPolicyVersion)
        {
            Line($"REPORT version={version.Replace(' ', '_')} {AutomationText.Figures(figures)}");
        }

        Line($"SHADOW {AutomationText.Shadow(report.Shadow)}");
    }

    public void Replay(string candidate, ReplayReport report)
    {
        Line($"REPLAY {AutomationText.Summary(candidate, report)}");
        report.FalseApprovals.ToList().ForEach(f => Line($"FALSE-APPROVAL {AutomationText.Finding(f)}"));
        report.NeedlessAsks.ToList().ForEach(f => Line($"NEEDLESS-ASK {AutomationText.Finding(f)}"));
        report.AlwaysApprovedTools.ToList().ForEach(t => Line($"ALWAYS-APPROVED {t}"));
        report.Denials.ToList().ForEach(f => Line($"WOULD-DENY {AutomationText.Finding(f)}"));
        report.Errors.ToList().ForEach(f => Line($"REPLAY-ERROR {AutomationText.Finding(f)}"));
    }

    public void Grants(IReadOnlyList<ApprovalGrant> grants, DateTimeOffset now)
    {
        foreach (ApprovalGrant grant in grants)
        {
            Line($"GRANT {AutomationText.Grant(grant, now)}");
        }
    }

    public void Note(string text)
    {
    }

    public void Done(string command) => Line($"OK {command}");

    public void Error(string message) => Line($"ERROR {message}");

    public void Prompt(string text)
    {
    }

    /// <summary>One record per line, whatever the text holds.</summary>
    private void Line(string text) => output.WriteLine(text.ReplaceLineEndings(" "));
}
