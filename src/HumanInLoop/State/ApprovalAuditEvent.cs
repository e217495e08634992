namespace HumanInLoop;

/// <summary>What an <see cref="ApprovalAuditEntry"/> records.</summary>
public enum ApprovalAuditEvent
{
    /// <summary>The approval was created when a batch of calls was held.</summary>
    Created = 0,

    /// <summary>The policies allowed a call.</summary>
    AutoAllowed = 1,

    /// <summary>A policy denied a call.</summary>
    Denied = 2,

    /// <summary>A call was put to a person.</summary>
    ApprovalRequested = 3,

    /// <summary>A person approved a call as shown.</summary>
    Approved = 4,

    /// <summary>A person approved a call with edited arguments.</summary>
    ApprovedWithEdits = 5,

    /// <summary>A person rejected a call.</summary>
    Rejected = 6,

    /// <summary>The deadline passed with calls undecided.</summary>
    Expired = 7,

    /// <summary>The approval was withdrawn.</summary>
    Cancelled = 8,

    /// <summary>A resume claimed the approval.</summary>
    Claimed = 9,

    /// <summary>A resume gave its claim back after a failure, with the calls' progress kept.</summary>
    ClaimReleased = 10,

    /// <summary>A call was about to run.</summary>
    CallStarted = 11,

    /// <summary>A call ran and returned.</summary>
    CallSucceeded = 12,

    /// <summary>A call ran and threw.</summary>
    CallFailed = 13,

    /// <summary>A call was found interrupted and cannot be re-run.</summary>
    CallInDoubt = 14,

    /// <summary>A person reconciled a call that was in doubt.</summary>
    InDoubtResolved = 15,

    /// <summary>Every call was answered and the conversation moved on.</summary>
    Completed = 16,

    /// <summary>A person approved a call that needs approvals from more people (<see cref="PendingToolCall.RequiredApprovals"/>); it still waits.</summary>
    PartiallyApproved = 17,

    /// <summary>A person made a standing grant with their approval of a call (<see cref="ApprovalDecision.Grant"/>); the reason names the grant and its terms.</summary>
    GrantIssued = 18,

    /// <summary>A person answered a call in place of the tool (<see cref="ApprovalDecision.RespondInstead(Approver, string, string?)"/>); it will not run.</summary>
    RespondedInstead = 19,

    /// <summary>Nobody decided a call in time and it was escalated: its escalation group may now decide it, as may the first group.</summary>
    Escalated = 20,

    /// <summary>
    /// The retry-loop guard answered a call with an earlier rejection instead of asking a person: recorded on the approval that
    /// holds the rejection (the reason names the new call and counts the repeat), and on a held batch's repeated call.
    /// </summary>
    RepeatAnswered = 21,

    /// <summary>
    /// A rejected call was proposed again for the <see cref="ApprovalOptions.RejectedRepeatLimit"/>-th time: the conversation was
    /// stopped with <see cref="RejectedCallRepeatedException"/>. Recorded on the approval that holds the rejection.
    /// </summary>
    RepeatLimitReached = 22,

    /// <summary>
    /// A call of an all-or-nothing batch (<see cref="PendingApproval.AllOrNothingBatch"/>) was held, not run, because another call
    /// of the batch is in doubt; recorded again when it is settled not run because that call did not take effect.
    /// </summary>
    CallHeld = 23,
}
