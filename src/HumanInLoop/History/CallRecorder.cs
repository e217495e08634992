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
/// </remarks>
internal sealed class CallRecorder(ICallRecordStore store, ApprovalClock clock, ILogger logger)
{
    private const int MaxBatch = 500;
    private readonly Channel<RecordedCall> _queue = Channel.CreateBounded<RecordedCall>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
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
            RecordedCall record = Record(calls, judgement, i, now);
            if (!_queue.Writer.TryWrite(record))
            {
                return EnqueueSlowAsync(record, calls, judgement, i, now, cancellationToken);
            }

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

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        long target = Interlocked.Read(ref _queued);
        while (Interlocked.Read(ref _written) < target)
        {
            Task progress;
            lock (_lock)
            {
                progress = (_progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            if (Interlocked.Read(ref _written) >= target)
            {
                break;
            }

            await progress.WaitAsync(cancellationToken);
        }
    }

    private async ValueTask EnqueueSlowAsync(
        RecordedCall first, IReadOnlyList<PolicyEvaluationContext> calls, BatchJudgement judgement, int from, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (int i = from; i < calls.Count; i++)
        {
            await _queue.Writer.WriteAsync(i == from ? first : Record(calls, judgement, i, now), cancellationToken);
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
            lock (_lock)
            {
                _progress?.TrySetResult();
                _progress = null;
            }
        }
    }
}
