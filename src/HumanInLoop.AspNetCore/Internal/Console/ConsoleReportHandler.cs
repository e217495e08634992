using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The console's automation report: <see cref="ApprovalHistory.ReportAsync"/> over a window of days, in the user's tenant scope,
/// drawn as SVG charts with their tables. Figures are counts only (no call's arguments), so the reader policy is asked once, with
/// no resource. Thread-safe.
/// </summary>
internal sealed class ConsoleReportHandler(ApprovalEndpointOptions options)
{
    private const int MaxDailyColumns = 62;

    public async Task<Results<Ok<ConsoleReport>, ProblemHttpResult>> GetAsync(
        HttpContext http, string? from, string? to, string? tool, string? tenant, string? bucket, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, options.ReaderPolicy, null) is { } refused)
        {
            return refused;
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        (ConsoleWindow? window, ProblemHttpResult? invalid) = ConsoleWindow.Parse(from, to, tool, tenant, ConsoleClock.Now(http));
        if (invalid is not null)
        {
            return invalid;
        }

        string? grouping = string.IsNullOrWhiteSpace(bucket) ? null : bucket.Trim().ToLowerInvariant();
        if (grouping is not null and not "day" and not "week")
        {
            return ApprovalProblems.BadRequest("bucket must be day or week.");
        }

        // Days by default for up to a month; weeks beyond, and always past two months (a column per day would be a hair).
        bool weekly = grouping == "week" || (grouping is null && window!.Days > 31) || window!.Days > MaxDailyColumns;

        try
        {
            await approvals!.FlushCallRecordsAsync(cancellationToken); // the calls decided at once, recorded in the background
            AutomationReport report = await approvals.History.ReportAsync(window!.ToQuery(), cancellationToken);
            return TypedResults.Ok(new ConsoleReport(
                window.From, window.To, weekly ? "week" : "day", window.Tool, window.Tenant, report.Total.Seen, report.Total.AutomationRate,
                ConsoleReportCharts.Build(report, window.From, window.To, weekly), report.UnreadableApprovals.Count));
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }
    }
}
