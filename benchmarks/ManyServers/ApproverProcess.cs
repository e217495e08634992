using System.Collections.Concurrent;
using System.Text;
using HumanInLoop;

namespace ManyServers;

/// <summary>
/// The separate approver: lists pending approvals (every server's) from the store and approves each, up to
/// <c>parallel</c> decisions at a time, until its standard input closes (the harness closes it once the workers are done).
/// It writes each decision's time, taken when DecideAsync has returned (the decision is durable), to approver.csv.
/// </summary>
internal sealed class ApproverProcess(Settings settings, int parallel, int pollMs)
{
    private static readonly Approver s_teller = new("teller");
    private readonly ConcurrentQueue<string> _rows = new();

    public async Task<int> RunAsync()
    {
        IStateStore store = settings.OpenStore();
        ApprovalService service = Bank.Service(store);
        await Bank.WarmUpAsync();
        using CancellationTokenSource stop = new();
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is not null)
            {
            }

            await stop.CancelAsync();
        });

        int conflicts = 0, errors = 0, lists = 0;
        while (!stop.IsCancellationRequested)
        {
            ApprovalPage page;
            try
            {
                page = await service.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 200 });
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                Interlocked.Increment(ref errors);
                await Console.Error.WriteLineAsync($"list failed: {exception.GetType().Name}: {exception.Message}");
                page = new ApprovalPage([], null, []);
            }

            lists++;
            if (page.Approvals.Count == 0)
            {
                try
                {
                    await Task.Delay(pollMs, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            await Parallel.ForEachAsync(page.Approvals, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (approval, _) =>
            {
                try
                {
                    PendingToolCall call = approval.AwaitingApproval.First();
                    await service.DecideAsync(approval.Id, call.CallId, ApprovalDecision.Approve(s_teller), CancellationToken.None);
                    _rows.Enqueue(Clock.Format($"{approval.Id},{Clock.NowUs()}"));
                }
                catch (ApprovalConflictException exception)
                {
                    Interlocked.Increment(ref conflicts);
                    await Console.Error.WriteLineAsync($"{approval.Id}: conflict {exception.Status}");
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Not decided: it stays pending and is listed again.
                    Interlocked.Increment(ref errors);
                    await Console.Error.WriteLineAsync($"{approval.Id}: decide failed: {exception.GetType().Name}: {exception.Message}");
                }
            });
        }

        StringBuilder file = new("id,decided_us\n");
        foreach (string row in _rows)
        {
            file.Append(row).Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(settings.ResultsDir, "approver.csv"), file.ToString());
        Console.WriteLine(Clock.Format($"approver: {_rows.Count} decisions, {lists} lists, {conflicts} conflicts, {errors} errors, cpu {Environment.CpuUsage.TotalTime.TotalSeconds:0.0} s"));
        return 0;
    }
}
