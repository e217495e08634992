using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Interop.Tests;

/// <summary>
/// A tiny bank whose tools count what they did, and its policies: check_balance runs at once, transfers over 100 need a
/// person, delete_account is never run. <see cref="Pipeline"/> puts the gate over any model client the way the docs say to.
/// </summary>
public sealed class Bank
{
    private int _balanceChecks;
    private int _deletes;

    public Bank(IStateStore? store = null)
    {
        Store = store ?? new InMemoryStateStore();
        Approvals = new ApprovalService(Store, new ApprovalOptions
        {
            Policies =
            {
                ApprovalPolicy.Allow("check_balance"),
                ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 100, "Transfers over 100 need a person."),
                ApprovalPolicy.Deny("delete_account", "Accounts are never deleted by the assistant."),
            },
        });
        Transfer = AIFunctionFactory.Create(TransferCore, "transfer", "Sends money to a payee.");
        CheckBalance = AIFunctionFactory.Create(() => { Interlocked.Increment(ref _balanceChecks); return Balance; }, "check_balance", "Reads the balance.");
        DeleteAccount = AIFunctionFactory.Create(() => { Interlocked.Increment(ref _deletes); return "deleted"; }, "delete_account", "Closes the account.");
    }

    public static Approver Alice { get; } = new("alice", ["approver"]);

    public IStateStore Store { get; }

    public ApprovalService Approvals { get; }

    public AIFunction Transfer { get; }

    public AIFunction CheckBalance { get; }

    public AIFunction DeleteAccount { get; }

    /// <summary>Gets the tools as the gate requires them: protected.</summary>
    public IList<AITool> Tools => ApprovalService.ProtectTools(Transfer, CheckBalance, DeleteAccount);

    public decimal Balance { get; private set; } = 1000m;

    /// <summary>Gets every transfer that ran, with the idempotency key a resume gave it.</summary>
    public ConcurrentQueue<(string To, decimal Amount, string? IdempotencyKey)> Transfers { get; } = new();

    public int BalanceChecks => _balanceChecks;

    public int Deletes => _deletes;

    public static CallerContext Context { get; } = new() { ConversationId = "conv-1", UserId = "carol", TenantId = "t1" };

    /// <summary>Function invocation outermost, the gate between it and the model.</summary>
    public IChatClient Pipeline(IChatClient model) =>
        new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(Approvals).Build();

    public ChatOptions ChatOptions() => new ChatOptions { Tools = Tools }.WithCallerContext(Context);

    public Task<PendingApproval> ApproveAsync(PendingApproval pending, string callId) =>
        Approvals.DecideAsync(pending.Id, callId, ApprovalDecision.Approve(Alice));

    public async Task ApproveAllAsync(PendingApproval pending)
    {
        foreach (PendingToolCall call in pending.AwaitingApproval)
        {
            await ApproveAsync(pending, call.CallId);
        }
    }

    private string TransferCore(string to, decimal amount)
    {
        Transfers.Enqueue((to, amount, ApprovedCall.Current?.IdempotencyKey));
        Balance -= amount;
        return $"sent {amount} to {to}";
    }
}
