using System.Text.Json;
using HumanInLoop;

namespace BankingConsole;

/// <summary>
/// The bank's rules, in code: what runs at once, what waits for a person, and what is refused. The same rules judge the
/// model's tool calls (tool-calling mode) and the actions of its plans (router mode); nothing the model writes changes them.
/// </summary>
internal static class BankPolicies
{
    /// <summary>Why a transfer waits, as shown to the approver.</summary>
    public const string TransferReason = "Transfers over $100 need a person's approval";

    /// <summary>Creates the approval options: validation, then the bank's policies.</summary>
    public static ApprovalOptions CreateOptions(Bank bank) => new()
    {
        Policies =
        {
            Validation(bank),
            ApprovalPolicy.Allow("check_balance", "deposit"),
            ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 100, TransferReason),
        },

        // Deposits and transfers record the key of the approved call (unique in the ledger), and a balance check changes
        // nothing: after an interrupted resume, running them again is safe, so they are never left "in doubt".
        IdempotentTools = { "check_balance", "deposit", "transfer" },

        // The customer (the requester) cannot approve their own transfers.
        PreventSelfApproval = true,
    };

    /// <summary>
    /// Refuses calls that could never succeed: an unknown account, an amount that is not positive whole cents, a transfer
    /// larger than the balance, or arguments that cannot be read. A refusal beats "needs approval", so nobody is asked to
    /// approve a transfer to an account that does not exist.
    /// </summary>
    private static IApprovalPolicy Validation(Bank bank) => ApprovalPolicy.Create(async (call, cancellationToken) =>
    {
        try
        {
            string? problem = call.ToolName switch
            {
                "transfer" => await ValidateTransferAsync(bank, call.GetArguments<TransferArgs>(), cancellationToken),
                "deposit" => Money.Validate(call.GetArguments<DepositArgs>().Amount),
                "check_balance" => call.GetArguments<CheckBalanceArgs>().Account is { Length: > 0 } account
                    ? await bank.ValidateAccountAsync(account, cancellationToken)
                    : null,
                _ => null,
            };
            return problem is null ? PolicyVerdict.NotApplicable : PolicyVerdict.Deny(problem);
        }
        catch (JsonException exception)
        {
            return PolicyVerdict.Deny($"The arguments of {call.ToolName} could not be read: {exception.Message}");
        }
    });

    private static async Task<string?> ValidateTransferAsync(Bank bank, TransferArgs transfer, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(transfer.To))
        {
            return "A transfer needs an account to send the money to.";
        }

        if (Money.Validate(transfer.Amount) is { } invalid)
        {
            return invalid;
        }

        if (Bank.NormalizeAccount(transfer.To) == Bank.CustomerAccount)
        {
            return $"A transfer from {Bank.CustomerAccount} to {Bank.CustomerAccount} would move nothing.";
        }

        if (await bank.ValidateAccountAsync(transfer.To, cancellationToken) is { } unknown)
        {
            return unknown;
        }

        long balance = await bank.GetBalanceAsync(Bank.CustomerAccount, cancellationToken) ?? 0;
        return Money.ToCents(transfer.Amount) > balance
            ? $"{Bank.CustomerAccount} has only {Money.Display(balance)}, less than {Money.Display(transfer.Amount)}."
            : null;
    }
}
