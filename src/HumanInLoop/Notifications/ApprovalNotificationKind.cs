namespace HumanInLoop;

/// <summary>What an <see cref="ApprovalNotification"/> announces.</summary>
public enum ApprovalNotificationKind
{
    /// <summary>A new approval waits for people (the calls in <see cref="PendingApproval.AwaitingApproval"/>).</summary>
    Pending = 0,

    /// <summary>A person decided one call (<see cref="ApprovalNotification.CallId"/>).</summary>
    Decided = 1,

    /// <summary>The deadline passed undecided; nothing of the batch will run.</summary>
    Expired = 2,

    /// <summary>The approval was withdrawn.</summary>
    Cancelled = 3,

    /// <summary>A resume answered every call and the conversation moved on.</summary>
    Completed = 4,

    /// <summary>A call was interrupted while running and a person must reconcile it.</summary>
    InDoubt = 5,

    /// <summary>
    /// Nobody decided in time and calls were escalated to their escalation group (<see cref="PendingToolCall.EscalationApprovers"/>),
    /// who may now decide them; <see cref="ApprovalNotification.CallId"/> is the first call escalated at that moment.
    /// </summary>
    Escalated = 6,
}
