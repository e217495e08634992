using System.ComponentModel;

namespace BankingConsole;

/// <summary>One typed action of a <see cref="BankPlan"/>.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="To">For a transfer: the account to send to.</param>
/// <param name="Account">For a balance check: the account to read, or <see langword="null"/> for the customer's own.</param>
/// <param name="Amount">For a deposit or transfer: the amount in dollars.</param>
internal sealed record BankAction(
    [property: Description("What to do: check_balance, deposit or transfer.")] BankActionKind Kind,
    [property: Description("For transfer: the account to send the money to. Otherwise null.")] string? To,
    [property: Description("For check_balance: the account to read, or null for the customer's own account. Otherwise null.")] string? Account,
    [property: Description("For deposit and transfer: the amount in dollars. Otherwise null.")] decimal? Amount)
{
    /// <summary>Converts the action to the library's <see cref="HumanInLoop.PlannedAction"/>, with the tool's typed arguments.</summary>
    public HumanInLoop.PlannedAction ToPlannedAction() => Kind switch
    {
        BankActionKind.Transfer => HumanInLoop.PlannedAction.Create("transfer", new TransferArgs(To, Amount ?? 0m)),
        BankActionKind.Deposit => HumanInLoop.PlannedAction.Create("deposit", new DepositArgs(Amount ?? 0m)),
        _ => HumanInLoop.PlannedAction.Create("check_balance", new CheckBalanceArgs(Account)),
    };
}
