using System.Text.Json;
using HumanInLoop;

namespace BankingConsole;

/// <summary>
/// The bank's policies: the validation in code (it reads the bank's database), then the rules as data (<see cref="BankRules"/>:
/// what runs at once, what waits for a person). The same policies judge the model's tool calls (tool-calling mode) and the
/// actions of its plans (router mode); nothing the model writes changes them.
/// </summary>
internal static class BankPolicies
{
    /// <summary>The name of the looser candidate rule set that the console replays and watches in shadow.</summary>
    public const string CandidateName = "transfers-up-to-1000-run-at-once";

    /// <summary>The approvers who may approve a transfer "and don't ask again" (a standing grant), and revoke any grant.</summary>
    public const string Granter = "teller";

    /// <summary>Creates the approval options: validation, then the bank's rules in force; the candidate watched in shadow.</summary>
    public static ApprovalOptions CreateOptions(Bank bank, BankRules rules)
    {
        ApprovalOptions options = new()
        {
            // Named, so that the automation report's per-policy figures read as the bank's rules (the rules as rules/<name>).
            Policies =
            {
                ApprovalPolicy.Named("bank-validation", Validation(bank, checkBalance: true)),
                rules.InForce,
            },

            // Only the teller may approve "and don't ask again"; a grant covers carol's later transfers within its bounds.
            Granters = { Granter },

            // Deposits and transfers record the key of the approved call (unique in the ledger), and a balance check changes
            // nothing: after an interrupted resume, running them again is safe, so they are never left "in doubt".
            IdempotentTools = { "check_balance", "deposit", "transfer" },

            // The customer (the requester) cannot approve their own transfers.
            PreventSelfApproval = true,
        };

        // The candidate runs live beside the active rules; its verdicts are recorded on every call, never acted on, and the
        // automation report counts how often it agreed.
        foreach (IApprovalPolicy policy in Candidate(bank, rules))
        {
            options.ShadowPolicies.Add(policy);
        }

        return options;
    }

    /// <summary>
    /// The looser candidate (candidate-rules.json: transfers up to $1,000 run at once), replayed over the recorded calls
    /// (<c>replay</c>) and watched in shadow. Its validation leaves out the balance check: a replay judges past calls against
    /// today's bank, where the balance of that day is unknown.
    /// </summary>
    public static IReadOnlyList<IApprovalPolicy> Candidate(Bank bank, BankRules rules) =>
        [ApprovalPolicy.Named("bank-validation-without-balance", Validation(bank, checkBalance: false)), rules.Candidate];

    /// <summary>Today's rules for a replay (<c>replay current</c>): the people's decisions they would still ask for.</summary>
    public static IReadOnlyList<IApprovalPolicy> Current(Bank bank, BankRules rules) =>
        [ApprovalPolicy.Named("bank-validation-without-balance", Validation(bank, checkBalance: false)), rules.InForce];

    /// <summary>
    /// Refuses calls that could never succeed: an unknown account, an amount that is not positive whole cents, a transfer
    /// larger than the balance (when <paramref name="checkBalance"/>), or arguments that cannot be read. A refusal beats "needs
    /// approval", so nobody is asked to approve a transfer to an account that does not exist.
    /// </summary>
    private static IApprovalPolicy Validation(Bank bank, bool checkBalance) => ApprovalPolicy.Create(async (call, cancellationToken) =>
    {
        try
        {
            string? problem = call.ToolName switch
            {
                "transfer" => await ValidateTransferAsync(bank, call.GetArguments<TransferArgs>(), checkBalance, cancellationToken),
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

    private static async Task<string?> ValidateTransferAsync(Bank bank, TransferArgs transfer, bool checkBalance, CancellationToken cancellationToken)
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

        if (!checkBalance)
        {
            return null;
        }

        long balance = await bank.GetBalanceAsync(Bank.CustomerAccount, cancellationToken) ?? 0;
        return Money.ToCents(transfer.Amount) > balance
            ? $"{Bank.CustomerAccount} has only {Money.Display(balance)}, less than {Money.Display(transfer.Amount)}."
            : null;
    }
}
