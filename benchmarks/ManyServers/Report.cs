using System.Globalization;
using HumanInLoop;

namespace ManyServers;

/// <summary>
/// The run's figures and checks, from the processes' results files (times on the shared system clock), the store (every
/// approval's final status) and the ledger (rows per approval).
/// </summary>
internal sealed class Report
{
    private readonly List<string> _lines = [];

    public bool Clean { get; private set; }

    public static async Task<Report> BuildAsync(Settings settings, long startUs, long untilUs, int seconds)
    {
        Dictionary<string, long> decided = new(StringComparer.Ordinal);
        foreach (string[] row in Rows(Path.Combine(settings.ResultsDir, "approver.csv")))
        {
            decided[row[0]] = Long(row[1]);
        }

        List<WorkerRow> conversations = [.. Directory.GetFiles(settings.ResultsDir, "worker-*.csv").SelectMany(Rows)
            .Select(r => new WorkerRow(r[0], Long(r[1]), Long(r[2]), Long(r[3]), Long(r[4]), r[5]))];

        ApprovalService service = Bank.Service(settings.OpenStore());
        Dictionary<string, ApprovalStatus> statuses = new(StringComparer.Ordinal);
        string? token = null;
        do
        {
            ApprovalPage page = await service.ListAsync(new StateQuery { PageSize = 1000, ContinuationToken = token });
            foreach (PendingApproval approval in page.Approvals)
            {
                statuses[approval.Id] = approval.Status;
            }

            token = page.UnreadableIds.Count == 0 ? page.ContinuationToken : throw new InvalidOperationException($"unreadable approvals: {string.Join(", ", page.UnreadableIds)}");
        }
        while (token is not null);

        Dictionary<string, int> ledger = await settings.OpenLedger().CountsAsync();
        Dictionary<string, WorkerRow> byId = conversations.ToDictionary(c => c.Id, StringComparer.Ordinal);

        // Lost: a decided approval that did not complete, has no ledger row, or whose resume did not answer.
        int lost = decided.Keys.Count(id =>
            statuses.GetValueOrDefault(id, ApprovalStatus.Pending) != ApprovalStatus.Completed
            || ledger.GetValueOrDefault(id) == 0
            || !byId.TryGetValue(id, out WorkerRow? row) || row.Outcome != "ok");
        // Doubled: a second ledger row for one approval; a row for an approval never approved counts as well.
        int doubled = ledger.Count(l => l.Value > 1) + ledger.Keys.Count(id => !decided.ContainsKey(id));
        int notCompleted = decided.Keys.Count(id => statuses.GetValueOrDefault(id, ApprovalStatus.Pending) != ApprovalStatus.Completed);
        int noRow = decided.Keys.Count(id => ledger.GetValueOrDefault(id) == 0);
        int notAnswered = decided.Keys.Count(id => !byId.TryGetValue(id, out WorkerRow? row) || row.Outcome != "ok");
        int undecided = statuses.Keys.Count(id => !decided.ContainsKey(id));

        Report report = new();
        report.Clean = lost == 0 && doubled == 0 && undecided == 0 && statuses.Count == decided.Count;
        int decidedInWindow = decided.Values.Count(t => t >= startUs && t < untilUs);
        int resumedInWindow = conversations.Count(c => c.Outcome == "ok" && c.ResumedUs >= startUs && c.ResumedUs < untilUs);
        long endUs = conversations.Count == 0 ? untilUs : conversations.Max(c => c.ResumedUs);
        List<WorkerRow> timed = [.. conversations.Where(c => decided.ContainsKey(c.Id))];
        report.Add($"approvals created={statuses.Count} decided={decided.Count} completed={statuses.Values.Count(s => s == ApprovalStatus.Completed)}");
        report.Add($"other statuses={string.Join(' ', statuses.Values.Where(s => s != ApprovalStatus.Completed).GroupBy(s => s).Select(g => $"{g.Key}:{g.Count()}"))}");
        report.Add($"ledger rows={ledger.Values.Sum()} approvals with a row={ledger.Count}");
        report.Add($"LOST={lost} DOUBLED={doubled} never decided={undecided} (of the decided: not completed {notCompleted}, no ledger row {noRow}, resume not answered {notAnswered})");
        report.Add($"window {seconds} s: decided {decidedInWindow} ({decidedInWindow / (double)seconds:0.0} approvals/s), resumed {resumedInWindow} ({resumedInWindow / (double)seconds:0.0}/s); drain after the window {(endUs - untilUs) / 1e6:0.0} s");
        report.Add($"decision -> resumed answer (ms): {Percentiles(timed.Select(c => c.ResumedUs - decided[c.Id]))}");
        report.Add($"  decision -> server noticed (poll): {Percentiles(timed.Select(c => c.NoticedUs - decided[c.Id]))}");
        report.Add($"  noticed -> resumed (ResumeAsync): {Percentiles(timed.Select(c => c.ResumedUs - c.NoticedUs))}");
        report.Add($"pause (first request until PendingApprovalException): {Percentiles(timed.Select(c => c.PausedUs - c.PauseStartUs))}");
        report.Add($"paused -> decision durable (queue at the approver): {Percentiles(timed.Select(c => decided[c.Id] - c.PausedUs))}");
        report.Add($"whole cycle (first request until resumed answer): {Percentiles(timed.Select(c => c.ResumedUs - c.PauseStartUs))}");
        return report;
    }

    public void Print()
    {
        foreach (string line in _lines)
        {
            Console.WriteLine(line);
        }

        Console.WriteLine(Clean ? "CHECK OK: every approved call ran exactly once" : "CHECK FAILED");
    }

    private void Add(FormattableString line) => _lines.Add(Clock.Format(line));

    private static string Percentiles(IEnumerable<long> microseconds)
    {
        long[] sorted = [.. microseconds.Order()];
        if (sorted.Length == 0)
        {
            return "no samples";
        }

        double At(double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)] / 1000.0;
        return Clock.Format($"n={sorted.Length} p50={At(0.50):0.0} p90={At(0.90):0.0} p99={At(0.99):0.0} max={sorted[^1] / 1000.0:0.0}");
    }

    private static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);

    private static IEnumerable<string[]> Rows(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','));

    private sealed record WorkerRow(string Id, long PauseStartUs, long PausedUs, long NoticedUs, long ResumedUs, string Outcome);
}
