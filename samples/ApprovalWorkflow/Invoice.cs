using System.Globalization;

namespace ApprovalWorkflow;

/// <summary>An invoice to pay. Amounts are decimals, written with invariant culture: never floating point.</summary>
internal sealed record Invoice(string Id, string Vendor, decimal Amount)
{
    /// <summary>The instruction the worker gives the assistant.</summary>
    public string Instruction => string.Create(CultureInfo.InvariantCulture, $"Pay invoice {Id} of ${Amount:0.00} to {Vendor}");

    /// <summary>The workflow that pays this invoice: one per invoice, so an invoice dropped twice is paid once.</summary>
    public string WorkflowId => "wf-" + Id;

    public bool IsValid(out string problem)
    {
        problem = Id is not { Length: > 0 and <= 64 } || Id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) ? "id must be 1-64 letters, digits, '-' or '_'"
            : string.IsNullOrWhiteSpace(Vendor) || Vendor.Length > 200 ? "vendor is required (at most 200 characters)"
            : Amount <= 0 || Amount > 1_000_000_000m || decimal.Round(Amount, 2) != Amount ? "amount must be positive, in cents"
            : "";
        return problem.Length == 0;
    }
}
