using System.Runtime.CompilerServices;
using HumanInLoop.Internal;
using Microsoft.Extensions.Logging;

namespace HumanInLoop;

/// <summary>
/// The recorded calls and decisions, read back: how far a team has automated (<see cref="ReportAsync"/>), what a candidate
/// policy set would have done (<see cref="ReplayAsync"/>), and the decisions as training data or for a regulator
/// (<see cref="ExportAsync"/>). Reached through <see cref="ApprovalService.History"/>.
/// </summary>
/// <remarks>
/// <para>
/// Store-agnostic: it pages through <see cref="IStateStore.ListAsync"/> (every call of every held batch) and, when the store keeps
/// them, <see cref="ICallRecordStore.ListCallRecordsAsync"/> (calls decided at once), so nothing is read whole and memory stays
/// flat in the number of calls. Nothing here runs a tool or changes a record. Thread-safe.
/// </para>
/// <para>
/// Calls decided at once are recorded in the background (<see cref="ApprovalOptions.RecordCalls"/>); call
/// <see cref="ApprovalService.FlushCallRecordsAsync"/> first when the latest must be included.
/// </para>
/// </remarks>
public sealed class ApprovalHistory
{
    private readonly RecordedCalls _calls;
    private readonly PolicyVerdict _unmatched;

    internal ApprovalHistory(ApprovalRecords records, PolicyVerdict unmatched, ILogger logger)
    {
        _calls = new RecordedCalls(records, logger);
        _unmatched = unmatched;
    }

    /// <summary>Reads the recorded calls: those of held batches first (newest approval first), then those decided at once (oldest first).</summary>
    /// <param name="query">The window and filters; <see langword="null"/> for everything.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The calls, streamed page by page. An approval that cannot be read is logged and skipped.</returns>
    public IAsyncEnumerable<RecordedCall> ReadAsync(HistoryQuery? query = null, CancellationToken cancellationToken = default) =>
        _calls.ReadAsync(query ?? new HistoryQuery(), null, cancellationToken);

    /// <summary>Counts what became of the recorded calls: in total, per tool and per policy, with people's time to decide and the shadow policies' agreement.</summary>
    /// <param name="query">The window and filters; <see langword="null"/> for everything.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The report.</returns>
    public async Task<AutomationReport> ReportAsync(HistoryQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new HistoryQuery();
        AutomationReporter reporter = new();
        List<string> unreadable = [];
        await foreach (RecordedCall call in _calls.ReadAsync(query, (id, _) => unreadable.Add(id), cancellationToken))
        {
            reporter.Add(call);
        }

        return reporter.Build(query, unreadable);
    }

    /// <summary>
    /// Evaluates a candidate policy set over the recorded calls (their exact stored arguments and caller) and reports what it
    /// would have done: its automation rate, the calls it would allow that a person rejected or edited, the calls it would
    /// still put to a person that people approved, and what it would deny. Runs no tool and changes no record.
    /// </summary>
    /// <param name="candidatePolicies">The candidate policies, judged as live ones are (Deny over RequireApproval over Allow; the service's <see cref="ApprovalOptions.UnmatchedToolVerdict"/> when none applies).</param>
    /// <param name="query">The window and filters; <see langword="null"/> for everything.</param>
    /// <param name="progress">Told how far the replay has come, every 1,000 calls and at the end.</param>
    /// <param name="maxListed">How many findings each list keeps (the counts are always complete); from 0 to 100,000. The default is 1,000.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The report.</returns>
    /// <remarks>A policy that reads the conversation gets it from the store on first use, for calls that were held; calls decided at once have no stored conversation and show none.</remarks>
    public async Task<ReplayReport> ReplayAsync(
        IEnumerable<IApprovalPolicy> candidatePolicies, HistoryQuery? query = null, IProgress<ReplayProgress>? progress = null, int maxListed = 1000,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidatePolicies);
        ArgumentOutOfRangeException.ThrowIfNegative(maxListed);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxListed, 100_000);
        query ??= new HistoryQuery();
        PolicyReplayer replayer = new(new PolicyEvaluator(candidatePolicies, _unmatched), maxListed);
        List<string> unreadable = [];
        await foreach (RecordedCall call in _calls.ReadAsync(query, (id, _) => unreadable.Add(id), cancellationToken))
        {
            await replayer.AddAsync(call, cancellationToken);
            if (replayer.Replayed % 1000 == 0)
            {
                progress?.Report(new ReplayProgress(replayer.Replayed, replayer.FalseApprovalCount));
            }
        }

        progress?.Report(new ReplayProgress(replayer.Replayed, replayer.FalseApprovalCount));
        return replayer.Build(query, unreadable);
    }

    /// <summary>
    /// Writes the recorded decisions as JSON Lines (UTF-8, one call per line: tool, arguments, caller, the policies' and shadow
    /// policies' verdicts, what a person decided, edited arguments, reason, times), verifying each approval's audit chain as
    /// it goes.
    /// </summary>
    /// <param name="destination">Where to write; left open.</param>
    /// <param name="query">The window and filters; <see langword="null"/> for everything.</param>
    /// <param name="options">Which argument fields to drop and whether to include calls decided at once; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many lines were written, and every approval left out because its record or audit chain does not hold (with the entry where it breaks).</returns>
    public async Task<DecisionExportResult> ExportAsync(
        Stream destination, HistoryQuery? query = null, DecisionExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new DecisionExportOptions();
        List<UnreadableApproval> unreadable = [];
        long exported = 0;
        await foreach (RecordedCall call in _calls.ReadAsync(query ?? new HistoryQuery(), (id, e) => unreadable.Add(new UnreadableApproval(id, e.Message)), cancellationToken))
        {
            if (options.IncludeAutomated || !call.IsAutomated)
            {
                await DecisionExporter.WriteAsync(destination, call, options, cancellationToken);
                exported++;
            }
        }

        await destination.FlushAsync(cancellationToken);
        return new DecisionExportResult(exported, unreadable);
    }
}
