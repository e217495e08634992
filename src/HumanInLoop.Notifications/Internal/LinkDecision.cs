namespace HumanInLoop.Notifications.Internal;

/// <summary>The decision a link token is signed for; also the path segment of its URL.</summary>
/// <remarks>
/// Only approve and reject: an answer in place of the tool (<see cref="ApprovalDecision.RespondInstead(Approver, string, string?)"/>)
/// needs free text a link cannot carry, so no link, page or Slack button offers it, and a token naming it is refused.
/// </remarks>
internal static class LinkDecision
{
    public const string Approve = "approve";
    public const string Reject = "reject";

    public static bool IsValid(string? value) => value is Approve or Reject;
}
