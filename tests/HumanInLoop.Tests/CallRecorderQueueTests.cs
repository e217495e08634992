using System.Text.Json;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop.Tests;

/// <summary>The call recorder's queue: bounded (a full queue makes the gate wait, never drops), lingering, and flushed whole.</summary>
public sealed class CallRecorderQueueTests
{
    [Fact]
    public async Task RecordAsync_WhileTheStoreIsStuck_QueuesAbout10000ThenWaits_AndLosesNone()
    {
        StuckCallRecords store = new();
        CallRecorder recorder = new(store, new ApprovalClock(TimeProvider.System), NullLogger.Instance);

        // The first record is taken by the writer, whose write then hangs; the queue fills behind it.
        int recorded = 0;
        ValueTask waiting = default;
        for (; recorded < 20_000; recorded++)
        {
            waiting = recorder.RecordAsync([Call(recorded)], Allowed(), CancellationToken.None);
            if (!waiting.IsCompleted)
            {
                break;
            }
        }

        Assert.InRange(recorded, 10_000, 10_001); // the capacity, plus the record the stuck writer holds
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted); // it waits for the writer; it did not drop the record

        store.Release();
        await waiting;
        await recorder.FlushAsync(CancellationToken.None);

        Assert.Equal(recorded + 1, store.Written.Count);
        Assert.Equal(Enumerable.Range(0, recorded + 1), CallNumbers(store));
    }

    [Fact]
    public async Task FlushAsync_AfterRecordsSpreadOverSeveralLingers_WritesEveryOneOnce()
    {
        StuckCallRecords store = new();
        store.Release();
        CallRecorder recorder = new(store, new ApprovalClock(TimeProvider.System), NullLogger.Instance);
        for (int i = 0; i < 300; i++)
        {
            await recorder.RecordAsync([Call(i)], Allowed(), CancellationToken.None);
            if (i % 100 == 0)
            {
                await Task.Delay(CallRecorder.Linger * 2); // the writer wrote and lingers, or waits again
            }
        }

        await recorder.FlushAsync(CancellationToken.None);

        Assert.Equal(300, store.Written.Count);
        Assert.Equal(Enumerable.Range(0, 300), CallNumbers(store));
    }

    [Fact]
    public void ApprovalIds_New_OnManyThreadsAtOnce_AllDistinct()
    {
        string[][] perThread = new string[8][];
        Parallel.For(0, 8, t =>
        {
            perThread[t] = new string[5_000];
            for (int i = 0; i < perThread[t].Length; i++)
            {
                perThread[t][i] = ApprovalIds.New("apr_");
            }
        });

        string[] all = [.. perThread.SelectMany(ids => ids)];
        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());
        Assert.All(all, id => Assert.Matches("^apr_[A-Za-z0-9_-]{22}$", id));
    }

    // The call ids written, as numbers, in order: each call exactly once.
    private static IEnumerable<int> CallNumbers(StuckCallRecords store) =>
        store.Written.Select(e => int.Parse(CallRecordFormat.Read(e).CallId[2..], System.Globalization.CultureInfo.InvariantCulture)).Order();

    private static PolicyEvaluationContext Call(int i) =>
        new("transfer", $"c-{i}", null, JsonSerializer.SerializeToElement(new { amount = i }), CallerContext.Empty, Array.Empty<ChatMessage>());

    private static BatchJudgement Allowed()
    {
        BatchJudgement judgement = new(1);
        judgement.Verdicts[0] = PolicyVerdict.Allow;
        judgement.Recorded[0] = new RecordedVerdict(PolicyVerdictKind.Allow, null);
        return judgement;
    }

    /// <summary>Call records whose writes hang until <see cref="Release"/>.</summary>
    private sealed class StuckCallRecords : ICallRecordStore
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _lock = new();
        private readonly List<CallRecordEntry> _written = [];

        public List<CallRecordEntry> Written
        {
            get
            {
                lock (_lock)
                {
                    return [.. _written];
                }
            }
        }

        public void Release() => _released.TrySetResult();

        public async Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default)
        {
            await _released.Task;
            lock (_lock)
            {
                _written.AddRange(entries);
            }
        }

        public Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
