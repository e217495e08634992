using HumanInLoop;
using Microsoft.Extensions.AI;

namespace SseChat.Bank;

/// <summary>The assistant's tools and approval policy: the same as the banking console sample.</summary>
internal static class BankTools
{
    public const string ApproverRole = "approver";

    /// <summary>Accounts no transfer may go to (the demo's sanctions list).</summary>
    private static readonly HashSet<string> BlockedRecipients = new(["oscar"], StringComparer.OrdinalIgnoreCase);

    /// <summary>check_balance and deposit run freely; transfers over $100 need a person with the approver role; none may go to a blocked recipient.</summary>
    public static void Configure(ApprovalOptions options)
    {
        options.Policies.Add(ApprovalPolicy.Allow("check_balance", "deposit"));
        // A blocked recipient is refused outright, edited arguments included: the console shows it beside the 'to' field.
        options.Policies.Add(ApprovalPolicy.Named("blocked-recipients", ApprovalPolicy.Create(call =>
            call.ToolName == "transfer" && BlockedRecipients.Contains(call.GetArguments<TransferArguments>().To ?? "")
                ? PolicyVerdict.Deny("The recipient in 'to' is on the bank's block list; no transfer may go there.")
                : PolicyVerdict.NotApplicable)));
        options.Policies.Add(ApprovalPolicy.RequireApprovalWhen<TransferArguments>(
            "transfer", t => t.Amount > 100m, "Transfers over $100 need a teller's approval.", approvers: [ApproverRole]));

        // The transfer tool records each transfer under its idempotency key, so it is safe to run again after an interruption.
        options.IdempotentTools.Add("transfer");
    }

    /// <summary>
    /// A candidate the console's Replay page judges over the recorded calls: "transfers up to $500 run alone". It lists the calls
    /// it would have let through that a teller rejected, before anyone puts it in force.
    /// </summary>
    public static IReadOnlyList<IApprovalPolicy> UpTo500Alone() =>
    [
        ApprovalPolicy.Allow("check_balance", "deposit"),
        ApprovalPolicy.RequireApprovalWhen<TransferArguments>(
            "transfer", t => t.Amount > 500m, "Transfers over $500 need a teller's approval.", approvers: [ApproverRole]),
    ];

    /// <summary>The tools acting on <paramref name="owner"/>'s account, protected so only allowed or approved calls run.</summary>
    public static IList<AITool> For(SqliteBank bank, string owner) => ApprovalService.ProtectTools(
        AIFunctionFactory.Create(() => $"Your balance is {SqliteBank.Money(bank.GetBalance(owner))}.", "check_balance", "Reads the user's balance."),
        AIFunctionFactory.Create((decimal amount) =>
        {
            if (amount <= 0)
            {
                return "Deposits must be positive.";
            }

            return $"Deposited {SqliteBank.Money(ToCents(amount))}. Your balance is {SqliteBank.Money(bank.Deposit(owner, ToCents(amount)))}.";
        }, "deposit", "Deposits money into the user's account."),
        AIFunctionFactory.Create((string to, decimal amount) =>
        {
            if (amount <= 0)
            {
                return "Transfers must be positive.";
            }

            // Approved calls carry a stable key from the approval; small transfers run by function invocation key on their call id.
            string key = ApprovedCall.Current?.IdempotencyKey
                ?? $"{owner}:{FunctionInvokingChatClient.CurrentContext?.CallContent.CallId ?? Guid.NewGuid().ToString("N")}:{Guid.NewGuid():N}";
            TransferOutcome outcome = bank.Transfer(owner, to, ToCents(amount), key);
            return outcome.Succeeded
                ? $"Transferred {SqliteBank.Money(outcome.AmountCents)} to {outcome.To}. Your balance is {SqliteBank.Money(outcome.BalanceAfterCents)}."
                : $"Insufficient funds: the balance is {SqliteBank.Money(outcome.BalanceAfterCents)}.";
        }, "transfer", "Transfers money from the user's account to another account."));

    private static long ToCents(decimal amount) => (long)decimal.Round(amount * 100m, 0, MidpointRounding.ToEven);
}

/// <summary>The transfer tool's arguments, as the policy reads them.</summary>
internal sealed record TransferArguments(string To, decimal Amount);
