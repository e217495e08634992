namespace HumanInLoop.Notifications.Internal;

/// <summary>The decision a link token is signed for; also the path segment of its URL.</summary>
internal static class LinkDecision
{
    public const string Approve = "approve";
    public const string Reject = "reject";

    public static bool IsValid(string? value) => value is Approve or Reject;
}
