using System.Globalization;
using static HumanInLoop.AspNetCore.Internal.SvgChart;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>Turns an <see cref="AutomationReport"/> into the console's charts, each with its table. Thread-safe (stateless).</summary>
internal static class ConsoleReportCharts
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static IReadOnlyList<ConsoleChart> Build(AutomationReport report, DateOnly from, DateOnly to, bool weekly) =>
    [
        OverTime(report, from, to, weekly),
        ByTool(report),
        Outcomes(report.Total),
        TimeToDecision(report),
        Shadow(report.Shadow),
    ];

    /// <summary>Calls decided without a person: allowed, denied, allowed by a grant, answered with an earlier rejection.</summary>
    public static long Automated(AutomationFigures f) => f.Allowed + f.Denied + f.AllowedByGrant + f.RejectedAsRepeat + f.RepeatLimitReached;

    public static string Percent(double share) => (share * 100).ToString("0.#", Invariant) + "%";

    public static string Duration(TimeSpan? time) => time switch
    {
        null => "—",
        { TotalSeconds: < 60 } t => $"{t.TotalSeconds.ToString("0", Invariant)} s",
        { TotalMinutes: < 60 } t => $"{(int)t.TotalMinutes} min {t.Seconds} s",
        { TotalHours: < 48 } t => $"{(int)t.TotalHours} h {t.Minutes} min",
        { } t => $"{(int)t.TotalDays} d {t.Hours} h",
    };

    private static ConsoleChart OverTime(AutomationReport report, DateOnly from, DateOnly to, bool weekly)
    {
        List<(DateOnly Start, long Seen, long Automated)> buckets = [];
        for (DateOnly day = weekly ? MondayOf(from) : from; day <= to; day = day.AddDays(weekly ? 7 : 1))
        {
            long seen = 0, automated = 0;
            for (int i = 0; i < (weekly ? 7 : 1); i++)
            {
                if (report.ByDay.TryGetValue(day.AddDays(i), out AutomationFigures? figures))
                {
                    seen += figures.Seen;
                    automated += Automated(figures);
                }
            }

            buckets.Add((day, seen, automated));
        }

        string Name(DateOnly start) => weekly ? $"week of {start:yyyy-MM-dd}" : start.ToString("yyyy-MM-dd", Invariant);
        List<Column> columns = [.. buckets.Select(b => new Column(
            b.Start.ToString(weekly ? "'wk' d MMM" : "d MMM", Invariant),
            b.Seen == 0 ? null : (double)b.Automated / b.Seen,
            b.Seen == 0 ? "no calls" : $"{Percent((double)b.Automated / b.Seen)} of {b.Seen} calls without a person"))];
        string title = $"Automation rate per {(weekly ? "week" : "day")}";
        string summary = $"The share of calls decided without a person, per {(weekly ? "week (from Monday)" : "day")} (UTC); overall {Percent(report.Total.AutomationRate)} of {report.Total.Seen} calls.";
        return new ConsoleChart("automation-over-time", title, summary, Columns("automation-over-time", title, summary, columns),
            [weekly ? "Week" : "Day", "Calls", "Without a person", "Sent to a person", "Automation rate"],
            [.. buckets.Select(b => (IReadOnlyList<string>)[Name(b.Start), Count(b.Seen), Count(b.Automated), Count(b.Seen - b.Automated),
                b.Seen == 0 ? "—" : Percent((double)b.Automated / b.Seen)])]);
    }

    private static ConsoleChart ByTool(AutomationReport report)
    {
        const string Title = "Automation rate per tool";
        string summary = $"The share of each tool's calls decided without a person; {report.ByTool.Count} tools.";
        List<Row> rows = [.. report.ByTool.Select(p => new Row(p.Key,
            [new Bar(p.Value.AutomationRate, $"{Percent(p.Value.AutomationRate)} ({Automated(p.Value)} of {p.Value.Seen})", "automated")]))];
        return new ConsoleChart("automation-by-tool", Title, summary, Bars("automation-by-tool", Title, summary, rows, max: 1),
            ["Tool", "Calls", "Without a person", "Automation rate"],
            [.. report.ByTool.Select(p => (IReadOnlyList<string>)[p.Key, Count(p.Value.Seen), Count(Automated(p.Value)), Percent(p.Value.AutomationRate)])]);
    }

    private static ConsoleChart Outcomes(AutomationFigures total)
    {
        const string Title = "What people decided";
        (string Name, long Count, string Series)[] outcomes =
        [
            ("Approved", total.Approved, "approved"), ("Approved edited", total.Edited, "edited"), ("Rejected", total.Rejected, "rejected"),
            ("Answered instead", total.Responded, "responded"), ("Expired", total.Expired, "expired"), ("Withdrawn", total.Cancelled, "cancelled"),
            ("Still waiting", total.Awaiting, "awaiting"),
        ];
        string summary = $"The {total.SentToPerson} calls sent to a person, by what became of them.";
        List<Row> rows = [.. outcomes.Select(o => new Row(o.Name, [new Bar(o.Count, Count(o.Count), o.Series)]))];
        return new ConsoleChart("decisions-by-outcome", Title, summary, Bars("decisions-by-outcome", Title, summary, total.SentToPerson == 0 ? [] : rows, empty: "No call went to a person in this window."),
            ["Outcome", "Calls"], [.. outcomes.Select(o => (IReadOnlyList<string>)[o.Name, Count(o.Count)])]);
    }

    private static ConsoleChart TimeToDecision(AutomationReport report)
    {
        const string Title = "Time to a person's decision";
        List<(string Name, AutomationFigures Figures)> groups = [("All tools", report.Total), .. report.ByTool.Select(p => (p.Key, p.Value))];
        groups.RemoveAll(g => g.Figures.MedianTimeToDecision is null);
        string summary = $"The median (p50) and 90th percentile (p90) of the time from a call being held to a person's decision; overall p50 {Duration(report.Total.MedianTimeToDecision)}, p90 {Duration(report.Total.P90TimeToDecision)}.";
        List<Row> rows = [.. groups.Select(g => new Row(g.Name,
        [
            new Bar(g.Figures.MedianTimeToDecision!.Value.TotalSeconds, $"p50 {Duration(g.Figures.MedianTimeToDecision)}", "p50"),
            new Bar(g.Figures.P90TimeToDecision!.Value.TotalSeconds, $"p90 {Duration(g.Figures.P90TimeToDecision)}", "p90"),
        ]))];
        return new ConsoleChart("time-to-decision", Title, summary, Bars("time-to-decision", Title, summary, rows, empty: "Nobody decided a call in this window."),
            ["Tool", "Decisions", "p50", "p90"],
            [.. groups.Select(g => (IReadOnlyList<string>)[g.Name, Count(g.Figures.Approved + g.Figures.Edited + g.Figures.Rejected + g.Figures.Responded),
                Duration(g.Figures.MedianTimeToDecision), Duration(g.Figures.P90TimeToDecision)])]);
    }

    private static ConsoleChart Shadow(ShadowAgreement shadow)
    {
        const string Title = "Agreement of the shadow policies";
        string summary = shadow.Compared == 0
            ? "No call carries a shadow verdict: no shadow policies ran in this window."
            : $"{shadow.Agreed} of {shadow.Compared} calls judged by the shadow policies got the active policies' verdict ({Percent(shadow.AgreementRate)}); {shadow.Errors} shadow evaluations threw.";
        List<(string Name, long Count, string Series)> rows = [("Agreed", shadow.Agreed, "agreed"), .. shadow.Disagreements.OrderByDescending(p => p.Value).Select(p => ($"{p.Key}", p.Value, "disagreed"))];
        return new ConsoleChart("shadow-agreement", Title, summary,
            Bars("shadow-agreement", Title, summary, shadow.Compared == 0 ? [] : [.. rows.Select(r => new Row(r.Name, [new Bar(r.Count, Count(r.Count), r.Series)]))],
                empty: "No shadow verdicts in this window."),
            ["Active → shadow", "Calls"], [.. rows.Select(r => (IReadOnlyList<string>)[r.Name, Count(r.Count)])]);
    }

    private static DateOnly MondayOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    private static string Count(long count) => count.ToString(Invariant);
}
