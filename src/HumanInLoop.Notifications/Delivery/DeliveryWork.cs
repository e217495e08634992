namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// One unit in the delivery queue: a change to fan out to the channels (<see cref="Channel"/> is null), or one message
/// for one channel.
/// </summary>
internal sealed record DeliveryWork(ApprovalNotificationKind Kind, PendingApproval Approval, string? CallId, bool IsEscalation, string? Channel = null)
{
    public string Key(string channel) => Key(Approval.Id, IsEscalation ? "Escalation" : Kind.ToString(), CallId, channel);

    public static string Key(string approvalId, string kind, string? callId, string channel) => $"{approvalId}|{kind}|{callId}|{channel}";

    public static string EscalationKey(string approvalId, string channel) => Key(approvalId, "Escalation", null, channel);
}
