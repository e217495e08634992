namespace HumanInLoop.AspNetCore.Internal;

/// <summary>What a candidate policy set would have done over a window of recorded calls, as the console's replay view shows it.</summary>
/// <param name="Candidates">The names of the candidates the host offers (<see cref="ApprovalConsoleOptions.ReplayCandidates"/>).</param>
/// <param name="Candidate">The candidate replayed, or <see langword="null"/> when none was asked for (then only the names are filled).</param>
/// <param name="From">The first day covered (UTC).</param>
/// <param name="To">The last day covered (UTC, inclusive).</param>
/// <param name="Calls">How many recorded calls were replayed.</param>
/// <param name="WouldAllow">How many the candidate would allow.</param>
/// <param name="WouldRequireApproval">How many it would send to a person.</param>
/// <param name="WouldDeny">How many it would deny.</param>
/// <param name="AutomationRate">The share it would decide without a person.</param>
/// <param name="RecordedAutomationRate">The share of the same calls really decided without a person.</param>
/// <param name="FalseApprovalCount">How many it would allow that a person rejected, edited or answered instead: the false approvals.</param>
/// <param name="NeedlessAskCount">The reverse: how many it would still send to a person that a person approved as proposed.</param>
/// <param name="ErrorCount">How many evaluations threw (each counted as sending the call to a person).</param>
/// <param name="FalseApprovals">The false approvals the user may read, oldest listed first as the history reads them.</param>
/// <param name="HiddenFalseApprovals">How many listed false approvals the reader policy hides from this user (counted, not shown).</param>
/// <param name="AlwaysApprovedTools">The tools it sends to a person although people approved every decided call of them as proposed.</param>
internal sealed record ConsoleReplay(
    IReadOnlyList<string> Candidates, string? Candidate, DateOnly From, DateOnly To, long Calls, long WouldAllow, long WouldRequireApproval, long WouldDeny,
    double AutomationRate, double RecordedAutomationRate, long FalseApprovalCount, long NeedlessAskCount, long ErrorCount,
    IReadOnlyList<ConsoleReplayRow> FalseApprovals, int HiddenFalseApprovals, IReadOnlyList<string> AlwaysApprovedTools);
