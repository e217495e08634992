using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Records the calls the gate decided at once in the store's call records (<see cref="ICallRecordStore"/>). A batch with a call
/// allowed by a grant or answered with an earlier rejection is written before the gate returns (a decision); the others are queued and written in
/// the background, in batches, so allowed calls do not wait for a durable write.
/// </summary>
/// <remarks>
/// A failed background write is retried with a growing pause (up to 30 s) and logged; queued records are lost only if the
/// process ends first (<see cref="FlushAsync"/> waits for them). A full queue (10,000 records) makes the gate wait, rather
/// than drop records.
/// <para>
/// After each write the writer lingers (<see cref="Linger"/>) before it looks for more: records queued meanwhile are gathered
/// without waking it. Waking a waiting thread is a system call made on the gate's thread, about 10 µs of its CPU per allowed
/// call when calls come one at a time; lingering makes it one wake per batch. A record therefore waits at most this long more
/// before it is written; <see cref="FlushAsync"/> cuts the linger short.
/// </para>
/// </remarks>
internal sealed class CallRecorder(ICallRecordStore store, ApprovalClock clock, ILogger logger)
{
    private const int MaxBatch = 500;

    /// <summary>How long the writer waits after a write before it looks for more records (real time: not the approval clock).</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(5);

    private TaskCompletionSource? _lingering; // set while the writer lingers; a flush completes it
    private const int Capacity = 10_000;

    // Unbounded in type, bounded by the counters below (Capacity): its single reader takes records without the lock that a bounded
    // channel's reader shares with the gate's threads (it contended with the gate on every record the writer drained).
    private readonly Channel<RecordedCall> _queue = Channel.CreateUnbounded<RecordedCall>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private long _queued;
    private long _written;
    private TaskCompletionSource? _progress; // made only while FlushAsync waits: not one per batch
    private Task? _writer;

    public ValueTask RecordAsync(IReadOnlyList<PolicyEvaluationContext> calls, BatchJudgement judgement, CancellationToken cancellationToken)
    {
        DateTimeOffset now = clock.Now();

        // A grant's use and a repeat answered with a person's rejection are decisions: durable before the gate returns.
        if (judgement.Grants is not null || judgement.Repeats is not null)
        {
            var entries = new CallRecordEntry[calls.Count];
            for (int i = 0; i < calls.Count; i++)
            {
                entries[i] = CallRecordFormat.ToEntry(Record(calls, judgement, i, now));
            }

            return new ValueTask(store.AppendCallRecordsAsync(entries, cancellationToken));
        }

        // The others are queued one by one as they are made (no array per batch on the gate's path).
        EnsureWriter();
        for (int i = 0; i < calls.Count; i++)
        {
            if (Full)
            {
                return EnqueueSlowAsync(calls, judgement, i, now, cancellationToken);
            }

            _queue.Writer.TryWrite(Record(calls, judgement, i, now)); // never refused: the channel is unbounded and never completed
            Interlocked.Increment(ref _queued);
        }

        return default;
    }

    private static RecordedCall Record(IReadOnlyList<PolicyEvaluationContext> calls, BatchJudgement judgement, int i, DateTimeOffset now)
    {
        ApprovalGrant? grant = judgement.GrantOf(i);
        EarlierRejection? repeat = judgement.RepeatOf(i);
        return new RecordedCall
        {
            Id = ApprovalIds.New("call_"),
            CallId = calls[i].CallId,
            ToolName = calls[i].ToolName,
            Arguments = RecordableArguments(calls[i]),
            Context = calls[i].Context,
            SeenAt = now,
            Verdict = judgement.Recorded[i],
            ShadowVerdict = judgement.ShadowOf(i),
            Outcome = repeat is not null ? (repeat.LimitReached ? CallOutcome.RepeatLimitReached : CallOutcome.RejectedAsRepeat)
                : grant is not null ? CallOutcome.AllowedByGrant
                : judgement.Verdicts[i].Kind == PolicyVerdictKind.Deny ? CallOutcome.Denied : CallOutcome.Allowed,
            DecidedBy = repeat?.RejectedBy ?? grant?.GrantedBy,
            DecidedAt = now,
            DecisionReason = repeat?.Reason,
            GrantId = grant?.Id,
            RepeatOf = repeat?.Reference,
        };
    }

    // Arguments that cannot be read as JSON (a name given twice, a value that does not serialize) were denied by the gate; the
    // record keeps why, under a name no tool argument has, rather than failing the call's answer.
    private static System.Text.Json.JsonElement RecordableArguments(PolicyEvaluationContext call)
    {
        try
        {
            return call.Arguments;
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or NotSupportedException or ArgumentException)
        {
            return CanonicalJson.FromArguments(new Dictionary<string, object?> { ["$unreadable"] = exception.Message });
        }
    }

    // About Capacity records queued and not yet written (more by at most the number of gates adding at the same moment).
    private bool Full => Interlocked.Read(ref _queued) - Interlocked.Read(ref _written) >= Capacity;

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        long target = Interlocked.Read(ref _queued);
        while (Interlocked.Read(ref _written) < target)
        {
            await NextWriteAsync(target, cancellationToken);
        }
    }

    // Waits for the writer's next batch unless `_written` reached the target meanwhile; ends the writer's linger.
    private async Task NextWriteAsync(long target, CancellationToken cancellationToken)
    {
        Task progress;
        lock (_lock)
        {
            progress = (_progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            _lingering?.TrySetResult(); // ends the writer's linger, so a flush does not wait it out
        }

        if (Interlocked.Read(ref _written) < target)
        {
            await progress.WaitAsync(cancellationToken);
        }
    }

    // A full queue makes the gate wait for the writer, rather than drop records.
    private async ValueTask EnqueueSlowAsync(
        IReadOnlyList<PolicyEvaluationContext> calls, BatchJudgement judgement, int from, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (int i = from; i < calls.Count; i++)
        {
            while (Full)
            {
                await NextWriteAsync(Interlocked.Read(ref _written) + 1, cancellationToken);
            }

            _queue.Writer.TryWrite(Record(calls, judgement, i, now));
            Interlocked.Increment(ref _queued);
        }
    }

    private void EnsureWriter()
    {
        if (_writer is null)
        {
            lock (_lock)
            {
                _writer ??= Task.Run(WriteLoopAsync);
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        List<CallRecordEntry> batch = new(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out RecordedCall? record))
            {
                batch.Add(CallRecordFormat.ToEntry(record));
            }

            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    await store.AppendCallRecordsAsync(batch);
                    break;
                }
                catch (Exception exception)
                {
                    ApprovalLog.CallRecordsNotWritten(logger, batch.Count, attempt + 1, exception);
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, 100 * Math.Pow(2, Math.Min(attempt, 9)))), clock.Provider);
                }
            }

            Interlocked.Add(ref _written, batch.Count);
            batch.Clear();
            TaskCompletionSource? linger = null;
            lock (_lock)
            {
                bool flushing = _progress is not null;
                _progress?.TrySetResult();
                _progress = null;
                if (!flushing && Interlocked.Read(ref _queued) - Interlocked.Read(ref _written) < MaxBatch)
                {
                    _lingering = linger = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            // Gather what comes next without being woken per record; a flush (waiting now or during the linger) goes on at once.
            if (linger is not null)
            {
                await Task.WhenAny(linger.Task, Task.Delay(Linger));
                lock (_lock)
                {
                    _lingering = null;
                }
            }
        }
    }
}
