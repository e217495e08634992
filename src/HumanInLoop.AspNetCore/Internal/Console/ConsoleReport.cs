namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The console's automation report: the window it covers, the headline figures, and its charts.</summary>
/// <param name="From">The first day covered (UTC).</param>
/// <param name="To">The last day covered (UTC, inclusive).</param>
/// <param name="Bucket">How the chart over time groups the calls: <c>day</c> or <c>week</c> (weeks start on Monday).</param>
/// <param name="Tool">The only tool counted, or <see langword="null"/>.</param>
/// <param name="Tenant">The only tenant counted, or <see langword="null"/>.</param>
/// <param name="Seen">How many calls the gate saw in the window.</param>
/// <param name="AutomationRate">The share of them decided without a person, from 0 to 1.</param>
/// <param name="Charts">The charts, each with its table.</param>
/// <param name="UnreadableApprovals">How many approvals could not be read (malformed, or their audit chain broken) and were left out.</param>
internal sealed record ConsoleReport(
    DateOnly From, DateOnly To, string Bucket, string? Tool, string? Tenant, long Seen, double AutomationRate, IReadOnlyList<ConsoleChart> Charts,
    int UnreadableApprovals);
