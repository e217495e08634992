using System.ComponentModel;
using HumanInLoop;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <summary>
/// The assistant's tools, as plain <see cref="AIFunction"/>s over the <see cref="Bank"/>. They know nothing about approvals,
/// except that a transfer or deposit passes on the idempotency key of the approved call it runs for.
/// </summary>
internal sealed class BankTools
{
    private readonly Bank _bank;

    public BankTools(Bank bank)
    {
        _bank = bank;
        All =
        [
            AIFunctionFactory.Create(CheckBalanceAsync, "check_balance", "Reads the balance of an account: the customer's own when no account is named."),
            AIFunctionFactory.Create(DepositAsync, "deposit", "Deposits money into the customer's own account."),
            AIFunctionFactory.Create(TransferAsync, "transfer", "Transfers money from the customer's account to another account."),
        ];
    }

    /// <summary>Gets the three tools, unprotected (pass them through <see cref="ApprovalService.ProtectTools"/>).</summary>
    public IReadOnlyList<AIFunction> All { get; }

    private async Task<string> CheckBalanceAsync(
        [Description("The account to read, for example bob; leave empty for the customer's own account.")] string? account = null,
        CancellationToken cancellationToken = default)
    {
        string name = string.IsNullOrWhiteSpace(account) ? Bank.CustomerAccount : Bank.NormalizeAccount(account);
        return await _bank.GetBalanceAsync(name, cancellationToken) is { } cents
            ? $"{name} has {Money.Display(cents)}."
            : await _bank.ValidateAccountAsync(name, cancellationToken) ?? $"There is no account '{name}'.";
    }

    private async Task<string> DepositAsync(
        [Description("The amount in dollars, for example 20 or 20.50.")] decimal amount,
        CancellationToken cancellationToken = default)
    {
        // Outside a resume (a call the policies let run at once) there is no approved call, and so no key.
        ApprovedCall? approved = ApprovedCall.Current;
        BankOperationResult result = await _bank.DepositAsync(Bank.CustomerAccount, amount, approved?.IdempotencyKey, approved?.ApprovalId, cancellationToken);
        return result.Message;
    }

    private async Task<string> TransferAsync(
        [Description("The account to send money to, for example bob.")] string to,
        [Description("The amount in dollars, for example 500 or 20.50.")] decimal amount,
        CancellationToken cancellationToken = default)
    {
        ApprovedCall? approved = ApprovedCall.Current;
        BankOperationResult result = await _bank.TransferAsync(Bank.CustomerAccount, to, amount, approved?.IdempotencyKey, approved?.ApprovalId, cancellationToken);
        return result.Message;
    }
}
