using System.Globalization;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.StoreWorker;

/// <summary>
/// The crash-point matrix's worker: one conversation whose model response holds two transfers, c-pay (approved) and c-eve
/// (rejected), taken through hold, decide and resume, with the store wrapped so the process kills itself at one write
/// (<see cref="CrashingStateStore"/>); and the recovery that a restarted process runs afterwards.
/// </summary>
/// <remarks>
///   crash &lt;write&gt; &lt;before|after&gt; &lt;delay ms&gt; &lt;conversation&gt;   hold, decide, resume; dies at that write (0: never; prints "writes hold=h decide=d resume=r")
///   recover &lt;conversation&gt;...   for each: holds again if nothing was held, decides what waits, resumes; prints "&lt;conversation&gt; &lt;id&gt; &lt;outcome&gt;"
/// The recovering process's clock runs a lease and a minute ahead, as if it had started after the dead process's claim lapsed.
/// </remarks>
internal sealed class CrashWorker
{
    private static readonly Approver s_alice = new("alice");

    private readonly ApprovalService _approvals;
    private readonly IChatClient _client;
    private readonly AIFunction _transfer;
    private readonly ExecutionLog _log;

    private CrashWorker(IStateStore store, ExecutionLog log, TimeSpan lease, TimeProvider time)
    {
        _log = log;
        _approvals = new ApprovalService(store, new ApprovalOptions
        {
            ExecutionLease = lease,
            TimeProvider = time,
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") },
        });
        ScriptedChatClient model = new(messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : ScriptedChatClient.Calls(Transfer("c-pay", "bob"), Transfer("c-eve", "eve")));
        _client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(_approvals).Build();
        _transfer = AIFunctionFactory.Create(TransferAsync, "transfer", "Sends money.");
    }

    public static async Task<int> RunAsync(IStateStore store, ExecutionLog log, TimeSpan lease, string command, string[] a)
    {
        switch (command)
        {
            case "crash":
            {
                CrashingStateStore crashing = new(store, int.Parse(a[0], CultureInfo.InvariantCulture), a[1] == "after", int.Parse(a[2], CultureInfo.InvariantCulture));
                CrashWorker worker = new(crashing, log, lease, TimeProvider.System);
                string conversation = a[3];
                crashing.Phase = "hold";
                string id = await worker.HoldAsync(conversation);
                Console.WriteLine($"held {id}");
                crashing.Phase = "decide";
                await worker.DecideWaitingAsync(id);
                crashing.Phase = "resume";
                Console.WriteLine($"resumed {await worker.ResumeAsync(id)}");
                Console.WriteLine($"writes hold={crashing.Writes.GetValueOrDefault("hold")} decide={crashing.Writes.GetValueOrDefault("decide")} resume={crashing.Writes.GetValueOrDefault("resume")}");
                return 0;
            }

            case "recover":
            {
                CrashWorker worker = new(store, log, lease, new AheadTimeProvider(lease + TimeSpan.FromMinutes(1)));
                foreach (string conversation in a)
                {
                    ApprovalPage page = await worker._approvals.ListAsync(new StateQuery { ConversationId = conversation });
                    string id = page.Approvals.Count switch
                    {
                        0 => await worker.HoldAsync(conversation), // the dead process held nothing: the conversation is asked again
                        1 => page.Approvals[0].Id,
                        _ => throw new InvalidOperationException($"{conversation} has {page.Approvals.Count} approvals; one was expected."),
                    };
                    await worker.DecideWaitingAsync(id);
                    Console.WriteLine($"{conversation} {id} {await worker.ResumeAsync(id)}");
                }

                return 0;
            }

            default:
                await Console.Error.WriteLineAsync($"unknown command '{command}'");
                return 2;
        }
    }

    private static FunctionCallContent Transfer(string callId, string to) =>
        ScriptedChatClient.Call(callId, "transfer", new Dictionary<string, object?> { ["to"] = to, ["amount"] = 500 });

    private ChatOptions Options(string conversation) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(_transfer) }
            .WithCallerContext(new CallerContext { ConversationId = conversation, UserId = "carol" });

    private async Task<string> HoldAsync(string conversation)
    {
        try
        {
            ChatResponse response = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, "pay bob 500, and eve 500")], Options(conversation));
            throw new InvalidOperationException($"The gate did not hold: {response.Text}");
        }
        catch (PendingApprovalException pause)
        {
            return pause.Approval.Id;
        }
    }

    /// <summary>Approves c-pay and rejects c-eve, each only if it still waits (a decision the dead process saved stands).</summary>
    private async Task DecideWaitingAsync(string id)
    {
        PendingApproval approval = await _approvals.GetAsync(id);
        foreach (PendingToolCall call in approval.AwaitingApproval.ToList())
        {
            await _approvals.DecideAsync(id, call.CallId, call.CallId == "c-pay" ? ApprovalDecision.Approve(s_alice) : ApprovalDecision.Reject(s_alice, "Not eve."));
        }
    }

    private async Task<string> ResumeAsync(string id)
    {
        try
        {
            PendingApproval approval = await _approvals.GetAsync(id);
            ResumeResult result = await _approvals.ResumeAsync(id, _client, Options(approval.Context.ConversationId!));
            return result.Response.Text.Contains("done", StringComparison.Ordinal) ? "ok" : "error unexpected-answer";
        }
        catch (ApprovalConflictException conflict)
        {
            return $"conflict {conflict.Status}";
        }
    }

    /// <summary>The tool: records its run in the ledger, in the same database, before it returns.</summary>
    private async Task<string> TransferAsync(string to, decimal amount)
    {
        ApprovedCall call = ApprovedCall.Current ?? throw new InvalidOperationException("transfer ran outside a resume");
        await _log.RecordAsync(call.ApprovalId, call.IdempotencyKey, call.Attempt);
        return $"sent {amount.ToString(CultureInfo.InvariantCulture)} to {to}";
    }

    /// <summary>The real clock, moved ahead: what a process started that much later would read.</summary>
    private sealed class AheadTimeProvider(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + ahead;
    }
}
