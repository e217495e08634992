using System.Text.Json;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The body of a decision: JSON, or form fields of the same names (<c>arguments</c> then holds JSON text). Who decides is
/// never part of it: the approver is the authenticated user.
/// </summary>
internal sealed class ApprovalDecisionRequest
{
    /// <summary>Gets or sets the decision: <c>approve</c>, <c>reject</c>, or <c>respond</c> (answer in place of the tool).</summary>
    public string? Decision { get; set; }

    /// <summary>Gets or sets the <see cref="ApprovalCallView.Fingerprint"/> of the call the approver saw. Required.</summary>
    public string? Fingerprint { get; set; }

    /// <summary>Gets or sets the reason (required to reject) or a comment (optional to approve).</summary>
    public string? Reason { get; set; }

    /// <summary>Gets or sets the complete arguments to run instead of the model's (approve only); the policies check them again.</summary>
    public JsonElement? Arguments { get; set; }

    /// <summary>
    /// Gets or sets the result to give the model in place of running the call (respond only; required): a JSON string is sent
    /// as text, any other JSON value as itself. Form posts send it as text.
    /// </summary>
    public JsonElement? Result { get; set; }

    /// <summary>Gets or sets a standing grant to make with the approval (approve only; the approver must be a granter). Form posts send it as JSON text.</summary>
    public ApprovalGrantRequest? Grant { get; set; }
}
