using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HumanInLoop.StoreTesting;

/// <summary>
/// The crash-point matrix: a real child process (HumanInLoop.StoreWorker, <c>crash</c>) takes one conversation through hold,
/// decide and resume and kills itself with SIGKILL at one durable write of the store, just before it or just after it committed;
/// every write, both sides, none left out. Then a new process restarts and finishes the conversation (<c>recover</c>), and a
/// third one does it again. For every point: nothing pending is lost, no approved call runs twice (the tool's ledger, rows it
/// writes itself in the same database), no call runs that was not approved, and a call interrupted while running is reported in
/// doubt, never re-run.
/// </summary>
/// <remarks>
/// The conversation's model response holds two transfers: c-pay, which alice approves, and c-eve, which she rejects. Its durable
/// writes, pinned in <see cref="PathWrites"/> (a change in their number fails the test, so the matrix is updated with it):
/// hold 1 (the approval created); decide 2 (c-pay approved, c-eve rejected and the approval Decided); resume 4 (the claim,
/// c-pay Started, c-pay Succeeded after the tool ran, Completed). One kill per point by default (the CI's short form);
/// <c>HIL_CRASH_KILLS_PER_POINT=100</c> repeats every point that many times, each repetition after the first killing a random
/// 1-20 ms after reaching the point (the long form; figures in benchmarks/README.md). <c>HIL_CRASH_REPORT</c> names a file the
/// figures are appended to after every round; <c>HIL_CRASH_PARALLEL</c> runs that many points' children at once (default 1).
/// </remarks>
public abstract class CrashPointMatrixTests
{
    /// <summary>The durable writes of each path, in order: the matrix's points are every one of them, before and after it commits.</summary>
    public static readonly IReadOnlyList<(string Path, int Writes)> PathWrites = [("hold", 1), ("decide", 2), ("resume", 4)];

    /// <summary>Long enough never to be renewed while the child works; the recovering process's clock runs past it.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private readonly Xunit.Abstractions.ITestOutputHelper? _output;

    /// <summary>Initializes a new instance of the <see cref="CrashPointMatrixTests"/> class.</summary>
    /// <param name="output">Where the figures are written.</param>
    protected CrashPointMatrixTests(Xunit.Abstractions.ITestOutputHelper? output = null)
    {
        _output = output;
    }

    /// <summary>Creates fresh, empty storage; returns where workers find it and a store object over it in this process.</summary>
    protected abstract Task<(WorkerTarget Target, IStateStore Store)> CreateStorageAsync();

    /// <summary>Reads the tool's ledger: one row per run of the tool, with the approval and the call's idempotency key.</summary>
    protected abstract Task<IReadOnlyList<(string ApprovalId, string IdempotencyKey)>> ReadLedgerAsync(WorkerTarget target);

    /// <summary>How many kills per point: 1, or <c>HIL_CRASH_KILLS_PER_POINT</c>.</summary>
    private static int KillsPerPoint =>
        int.TryParse(Environment.GetEnvironmentVariable("HIL_CRASH_KILLS_PER_POINT"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 1;

    [Fact]
    public async Task KilledAtEveryDurableWrite_NothingLostNothingTwiceNothingUnapprovedInDoubtReported()
    {
        Stopwatch wall = Stopwatch.StartNew();
        (WorkerTarget target, IStateStore store) = await CreateStorageAsync();
        ApprovalService service = new(store);
        await StoreWorkerProcess.RunAsync(target, Lease, "prepare", "0", "none");

        // The writes are pinned: a path that writes more or less fails here, before any point is judged against a stale table.
        IReadOnlyList<string> calibration = await StoreWorkerProcess.RunAsync(target, Lease, "crash", "0", "before", "0", "conv-calibration");
        Assert.Equal(["resumed ok", string.Join(" ", ["writes", .. PathWrites.Select(p => $"{p.Path}={p.Writes}")])], calibration.Skip(1));
        int writes = PathWrites.Sum(p => p.Writes);

        Tally tally = new();
        Random random = new(Seed: Environment.TickCount);
        for (int round = 0; round < KillsPerPoint; round++)
        {
            List<Point> points = [.. Enumerable.Range(1, writes).SelectMany(write => new[] { false, true }
                .Select(after => new Point(write, after, $"crash-{round}-{write}-{(after ? "after" : "before")}")))];
            int[] delays = [.. points.Select(_ => round == 0 ? 0 : random.Next(1, 21))];
            for (int start = 0; start < points.Count; start += Parallel)
            {
                // Each point is its own conversation; the long form may kill several children at once (HIL_CRASH_PARALLEL).
                int count = Math.Min(Parallel, points.Count - start);
                await Task.WhenAll(Enumerable.Range(start, count).Select(i => KillAsync(target, points[i], delays[i])));
                tally.Kills += count;
            }

            IReadOnlyList<(string ApprovalId, string Key)> ledger = await ReadLedgerAsync(target);
            foreach (Point point in points)
            {
                point.AfterKill = await ReadAsync(service, point.Conversation);
                point.RunsAfterKill = Runs(ledger, point.AfterKill);
                tally.CheckAfterKill(point);
            }

            string[] conversations = [.. points.Select(p => p.Conversation)];
            Dictionary<string, string> first = Outcomes(await StoreWorkerProcess.RunAsync(target, Lease, ["recover", .. conversations]));
            Dictionary<string, string> second = Outcomes(await StoreWorkerProcess.RunAsync(target, Lease, ["recover", .. conversations]));
            ledger = await ReadLedgerAsync(target);
            foreach (Point point in points)
            {
                PendingApproval final = (await ReadAsync(service, point.Conversation))!;
                tally.CheckAfterRecovery(point, first[point.Conversation], second[point.Conversation], final, Runs(ledger, final));
            }

            tally.CheckLedger(ledger, await AllApprovalsAsync(service));
            if (Environment.GetEnvironmentVariable("HIL_CRASH_REPORT") is { Length: > 0 } report)
            {
                // After every round, so a long run stopped early still says what it proved.
                await File.AppendAllTextAsync(report, $"{DateTimeOffset.UtcNow:O} round {round + 1} of {KillsPerPoint}: {Figures(target, writes, round + 1, tally, wall)}{Environment.NewLine}");
            }
        }

        string figures = Figures(target, writes, KillsPerPoint, tally, wall);
        _output?.WriteLine(figures);

        Assert.True(tally.Failures.Count == 0, figures + Environment.NewLine + string.Join(Environment.NewLine, tally.Failures.Take(40)));
        Assert.Equal((0, 0, 0, 0), (tally.Lost, tally.Doubled, tally.Unapproved, tally.InDoubtRerun));
        Assert.Equal(2 * KillsPerPoint, tally.InDoubtExpected);
        Assert.Equal(tally.InDoubtExpected, tally.InDoubtReported);
    }

    /// <summary>How many points' children run at once: 1, or <c>HIL_CRASH_PARALLEL</c> (the long form, on a busy machine).</summary>
    private static int Parallel =>
        int.TryParse(Environment.GetEnvironmentVariable("HIL_CRASH_PARALLEL"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 1;

    private static string Figures(WorkerTarget target, int writes, int killsPerPoint, Tally tally, Stopwatch wall) =>
        $"{target.Kind}: {writes * 2} points ({string.Join(", ", PathWrites.Select(p => $"{p.Path} {p.Writes}"))} writes, before and after each), " +
        $"{killsPerPoint} kill(s) per point, {tally.Kills} kills; lost {tally.Lost}, run twice {tally.Doubled}, run unapproved {tally.Unapproved}, " +
        $"in doubt reported {tally.InDoubtReported} of {tally.InDoubtExpected} (re-run {tally.InDoubtRerun}), other mismatches {tally.Failures.Count}; {wall.Elapsed.TotalSeconds:F0} s";

    /// <summary>Runs one point's child, which must die by its own SIGKILL at its write, before the end of its conversation.</summary>
    private static async Task KillAsync(WorkerTarget target, Point point, int delay)
    {
        using StoreWorkerProcess child = StoreWorkerProcess.Start(target, Lease, "crash", point.Write.ToString(CultureInfo.InvariantCulture),
            point.After ? "after" : "before", delay.ToString(CultureInfo.InvariantCulture), point.Conversation);
        int exit = await child.WaitForExitCodeAsync(TimeSpan.FromSeconds(300));
        Assert.True(exit == 137, $"{point}: the child was to kill itself (SIGKILL, exit 137) but exited with {exit}: {child.Errors} | {string.Join(" | ", child.Lines)}");
        Assert.DoesNotContain(child.Lines, l => l.StartsWith("resumed", StringComparison.Ordinal));
    }

    private static async Task<PendingApproval?> ReadAsync(ApprovalService service, string conversation)
    {
        ApprovalPage page = await service.ListAsync(new StateQuery { ConversationId = conversation });
        Assert.True(page.Approvals.Count <= 1, $"{conversation} has {page.Approvals.Count} approvals");
        return page.Approvals.Count == 0 ? null : await service.GetAsync(page.Approvals[0].Id);
    }

    private static async Task<Dictionary<string, PendingApproval>> AllApprovalsAsync(ApprovalService service)
    {
        Dictionary<string, PendingApproval> all = [];
        string? token = null;
        do
        {
            ApprovalPage page = await service.ListAsync(new StateQuery { PageSize = 500, ContinuationToken = token });
            foreach (PendingApproval approval in page.Approvals)
            {
                all[approval.Id] = await service.GetAsync(approval.Id);
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
        return all;
    }

    private static int Runs(IReadOnlyList<(string ApprovalId, string Key)> ledger, PendingApproval? approval) =>
        approval is null ? 0 : ledger.Count(r => r.ApprovalId == approval.Id);

    private static Dictionary<string, string> Outcomes(IReadOnlyList<string> lines) =>
        lines.Select(l => l.Split(' ', 3)).ToDictionary(p => p[0], p => p[2]);

    /// <summary>One crash point of one round: the write the child died at, and on which side of its commit.</summary>
    private sealed class Point(int write, bool after, string conversation)
    {
        public int Write => write;

        public bool After => after;

        public string Conversation => conversation;

        /// <summary>How many writes had committed when the child died.</summary>
        public int Committed => after ? write : write - 1;

        /// <summary>Whether the tool ran before the child died: it runs between c-pay's Started (write 5) and Succeeded (write 6).</summary>
        public bool ToolRan => write >= 6;

        public PendingApproval? AfterKill { get; set; }

        public int RunsAfterKill { get; set; }

        public override string ToString() => $"{(after ? "after" : "before")} write {write} ({conversation})";
    }

    /// <summary>The figures, and every way a point differed from what its write leaves behind.</summary>
    private sealed class Tally
    {
        public int Kills { get; set; }

        public int Lost { get; set; }

        public int Doubled { get; private set; }

        public int Unapproved { get; private set; }

        public int InDoubtExpected { get; private set; }

        public int InDoubtReported { get; private set; }

        public int InDoubtRerun { get; private set; }

        public List<string> Failures { get; } = [];

        /// <summary>What the store holds after the kill is exactly what the committed writes wrote: nothing of it lost, nothing more.</summary>
        public void CheckAfterKill(Point point)
        {
            int committed = point.Committed;
            PendingApproval? approval = point.AfterKill;
            if (approval is null)
            {
                if (committed > 0)
                {
                    Lost++;
                    Failures.Add($"{point}: the approval was created, and is gone");
                }

                Expect(point, "runs after the kill", 0, point.RunsAfterKill);
                return;
            }

            if (committed == 0)
            {
                Failures.Add($"{point}: an approval exists though its creation never reached the store");
                return;
            }

            (ApprovalStatus status, CallDecisionStatus pay, CallDecisionStatus eve, CallExecutionStatus run) expected = committed switch
            {
                1 => (ApprovalStatus.Pending, CallDecisionStatus.AwaitingApproval, CallDecisionStatus.AwaitingApproval, CallExecutionStatus.NotStarted),
                2 => (ApprovalStatus.Pending, CallDecisionStatus.Approved, CallDecisionStatus.AwaitingApproval, CallExecutionStatus.NotStarted),
                3 => (ApprovalStatus.Decided, CallDecisionStatus.Approved, CallDecisionStatus.Rejected, CallExecutionStatus.NotStarted),
                4 => (ApprovalStatus.Executing, CallDecisionStatus.Approved, CallDecisionStatus.Rejected, CallExecutionStatus.NotStarted),
                5 => (ApprovalStatus.Executing, CallDecisionStatus.Approved, CallDecisionStatus.Rejected, CallExecutionStatus.Started),
                6 => (ApprovalStatus.Executing, CallDecisionStatus.Approved, CallDecisionStatus.Rejected, CallExecutionStatus.Succeeded),
                _ => (ApprovalStatus.Completed, CallDecisionStatus.Approved, CallDecisionStatus.Rejected, CallExecutionStatus.Succeeded),
            };
            var actual = (approval.Status, approval.FindCall("c-pay")!.Decision, approval.FindCall("c-eve")!.Decision, approval.FindCall("c-pay")!.Execution);
            if (actual != expected)
            {
                // Behind what was committed is a lost write; anything else is a write that happened though it never reached the store.
                bool behind = approval.Version < committed;
                Lost += behind ? 1 : 0;
                Failures.Add($"{point}: expected {expected} after the kill, found {actual} (version {approval.Version}){(behind ? ", a committed write lost" : "")}");
            }

            Expect(point, "store version after the kill", committed, (int)approval.Version);
            Expect(point, "runs after the kill", point.ToolRan ? 1 : 0, point.RunsAfterKill);
        }

        /// <summary>The restart finishes the conversation: the approved call runs once; one interrupted while running is reported, never re-run.</summary>
        public void CheckAfterRecovery(Point point, string first, string second, PendingApproval final, int runs)
        {
            PendingToolCall pay = final.FindCall("c-pay")!;
            PendingToolCall eve = final.FindCall("c-eve")!;
            Expect(point, "c-eve after recovery", (CallDecisionStatus.Rejected, CallExecutionStatus.NotRun), (eve.Decision, eve.Execution));
            if (point.Committed == 5)
            {
                // Killed while c-pay ran (just after its Started committed, or after the tool ran and before its outcome was saved).
                InDoubtExpected++;
                bool reported = first == "conflict InDoubt" && second == "conflict InDoubt" && final.Status == ApprovalStatus.InDoubt &&
                    pay.Execution == CallExecutionStatus.InDoubt && final.AuditTrail.Any(e => e.Event == ApprovalAuditEvent.CallInDoubt && e.CallId == "c-pay");
                InDoubtReported += reported ? 1 : 0;
                InDoubtRerun += runs != point.RunsAfterKill ? 1 : 0;
                Expect(point, "in doubt reported (first restart, second restart, status, call, audit)", true, reported);
                Expect(point, "runs after recovery (unchanged: never re-run)", point.RunsAfterKill, runs);
                return;
            }

            Expect(point, "first restart", point.Committed == 7 ? "conflict Completed" : "ok", first);
            Expect(point, "second restart", "conflict Completed", second);
            Expect(point, "after recovery", (ApprovalStatus.Completed, CallExecutionStatus.Succeeded), (final.Status, pay.Execution));
            Expect(point, "runs after recovery", 1, runs);
        }

        /// <summary>Every run in the ledger is of an approved call (c-pay of an approval whose c-pay was approved); none of c-eve.</summary>
        public void CheckLedger(IReadOnlyList<(string ApprovalId, string Key)> ledger, Dictionary<string, PendingApproval> approvals)
        {
            // The ledger holds every round so far: the counts are of the whole of it.
            int unapproved = 0;
            foreach ((string approvalId, string key) in ledger)
            {
                PendingToolCall? call = approvals.TryGetValue(approvalId, out PendingApproval? approval)
                    ? approval.Calls.FirstOrDefault(c => c.IdempotencyKey == key) : null;
                if (call is not { Decision: CallDecisionStatus.Approved })
                {
                    unapproved++;
                    string failure = $"ledger: {approvalId} {key} ran, but {(call is null ? "no such call" : $"its decision is {call.Decision}")}";
                    if (!Failures.Contains(failure))
                    {
                        Failures.Add(failure);
                    }
                }
            }

            Unapproved = unapproved;
            Doubled = ledger.GroupBy(r => r.Key).Count(g => g.Count() > 1);
        }

        private void Expect<T>(Point point, string what, T expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                Failures.Add($"{point}: {what}: expected {expected}, found {actual}");
            }
        }
    }
}
