using System.Collections.Concurrent;
using System.Text;
using HumanInLoop;
using Microsoft.Extensions.AI;

namespace ManyServers;

/// <summary>
/// One app server: <c>conversations</c> loops, each pausing a conversation on a transfer, waiting for its decision and resuming
/// it, from <c>start</c> until <c>until</c> (then each loop finishes the conversation it has open). The server learns of
/// decisions the way a server without push would: one poller lists this server's decided approvals (its tenant) every
/// <c>poll</c> milliseconds and wakes the conversations waiting for them.
/// With <c>sabotage</c> (to show that the checks can fail), slot 0 records its first transfer in the ledger a second time and
/// slot 1 leaves its first decided approval without resuming it.
/// </summary>
internal sealed class Worker(Settings settings, int index, int conversations, long startUs, long untilUs, int pollMs, bool sabotage)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _rows = new();
    private string Tenant => $"w{index}";

    public async Task<int> RunAsync()
    {
        IStateStore store = settings.OpenStore();
        Ledger ledger = settings.OpenLedger();
        ApprovalService service = Bank.Service(store);
        IChatClient client = Bank.Client(service);
        AIFunction transfer = Bank.Transfer(ledger);
        await Bank.WarmUpAsync();
        await service.ListAsync(new StateQuery { TenantId = Tenant, Status = ApprovalStatus.Decided, PageSize = 1 });
        long wait = (startUs - Clock.NowUs()) / 1000;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait));
        }

        using CancellationTokenSource stop = new();
        Task poller = PollAsync(service, stop.Token);
        int[] failures = await Task.WhenAll(Enumerable.Range(0, conversations).Select(slot => Task.Run(() => LoopAsync(service, client, transfer, ledger, slot))));
        await stop.CancelAsync();
        await poller;
        await service.FlushCallRecordsAsync();
        StringBuilder file = new("id,pause_start_us,paused_us,noticed_us,resumed_us,outcome\n");
        foreach (string row in _rows)
        {
            file.Append(row).Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(settings.ResultsDir, $"worker-{index}.csv"), file.ToString());
        Console.WriteLine(Clock.Format($"worker {index}: {_rows.Count} conversations, {failures.Sum()} failures, cpu {Environment.CpuUsage.TotalTime.TotalSeconds:0.0} s"));
        return failures.Sum() == 0 ? 0 : 1;
    }

    private async Task<int> LoopAsync(ApprovalService service, IChatClient client, AIFunction transfer, Ledger ledger, int slot)
    {
        int failures = 0;
        for (int turn = 0; Clock.NowUs() < untilUs; turn++)
        {
            string conversation = $"{Tenant}-s{slot}-t{turn}";
            ChatOptions options = Bank.Options(transfer, conversation, Tenant);
            long pauseStart = Clock.NowUs();
            string id;
            try
            {
                ChatResponse response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, conversation)], options);
                await Console.Error.WriteLineAsync($"{conversation}: the gate did not pause ({response.Text})");
                failures++;
                continue;
            }
            catch (PendingApprovalException pause)
            {
                id = pause.Approval.Id;
            }
            catch (Exception exception)
            {
                // The pause failed (no approval, or one whose id is unknown here): the check finds such an approval, if any, in the store.
                await Console.Error.WriteLineAsync($"{conversation}: pause failed: {exception.GetType().Name}: {exception.Message}");
                failures++;
                continue;
            }

            long paused = Clock.NowUs();
            TaskCompletionSource<long> decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[id] = decided;
            long noticed = await decided.Task;
            if (sabotage && slot == 1 && turn == 0)
            {
                continue;
            }

            string outcome;
            try
            {
                ResumeResult result = await service.ResumeAsync(id, client, options);
                outcome = result.Response.Text == "done" ? "ok" : "unexpected-answer";
            }
            catch (Exception exception)
            {
                outcome = exception.GetType().Name;
                await Console.Error.WriteLineAsync($"{id}: resume failed: {exception.Message}");
            }

            long resumed = Clock.NowUs();
            if (sabotage && slot == 0 && turn == 0)
            {
                await ledger.RecordAsync(id, $"c-{conversation}", "sabotage", 2);
            }

            if (outcome != "ok")
            {
                failures++;
                await Console.Error.WriteLineAsync($"{id}: {outcome}");
            }

            _rows.Enqueue(Clock.Format($"{id},{pauseStart},{paused},{noticed},{resumed},{outcome}"));
        }

        return failures;
    }

    /// <summary>Lists this server's decided approvals and wakes their conversations; one that is not yet waiting is found next time.</summary>
    private async Task PollAsync(ApprovalService service, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string? token = null;
            do
            {
                ApprovalPage page;
                try
                {
                    page = await service.ListAsync(new StateQuery { TenantId = Tenant, Status = ApprovalStatus.Decided, PageSize = 200, ContinuationToken = token }, CancellationToken.None);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    await Console.Error.WriteLineAsync($"poll failed: {exception.GetType().Name}: {exception.Message}");
                    break;
                }

                long now = Clock.NowUs();
                foreach (PendingApproval approval in page.Approvals)
                {
                    if (_waiting.TryRemove(approval.Id, out TaskCompletionSource<long>? waiting))
                    {
                        waiting.TrySetResult(now);
                    }
                }

                token = page.ContinuationToken;
            }
            while (token is not null);

            try
            {
                await Task.Delay(pollMs, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
