namespace HumanInLoop;

/// <summary>What became of one call the gate judged, as <see cref="ApprovalHistory"/> reads it back.</summary>
public enum CallOutcome
{
    /// <summary>The policies allowed it; it ran without asking anyone.</summary>
    Allowed = 0,

    /// <summary>A policy denied it; it never ran.</summary>
    Denied = 1,

    /// <summary>The policies asked for a person, and a standing grant (<see cref="ApprovalGrant"/>) allowed it instead.</summary>
    AllowedByGrant = 2,

    /// <summary>It waits for a person.</summary>
    Awaiting = 3,

    /// <summary>A person approved it as the model proposed it.</summary>
    Approved = 4,

    /// <summary>A person approved it with edited arguments.</summary>
    Edited = 5,

    /// <summary>A person rejected it.</summary>
    Rejected = 6,

    /// <summary>Nobody decided before the deadline.</summary>
    Expired = 7,

    /// <summary>The approval was withdrawn before anyone decided the call.</summary>
    Cancelled = 8,

    /// <summary>A person answered it in place of the tool; it never ran and the model received the person's answer.</summary>
    Responded = 9,

    /// <summary>
    /// A person had rejected the same call earlier in the conversation; the retry-loop guard answered it with that rejection at once,
    /// without asking again (<see cref="RecordedCall.RepeatOf"/> names the rejection). It never ran.
    /// </summary>
    RejectedAsRepeat = 10,

    /// <summary>
    /// The same, and it was the repeat that reached <see cref="ApprovalOptions.RejectedRepeatLimit"/>: the conversation was stopped
    /// with <see cref="RejectedCallRepeatedException"/>. It never ran.
    /// </summary>
    RepeatLimitReached = 11,
}
