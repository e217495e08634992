namespace HumanInLoop;

/// <summary>Where a <see cref="PendingApproval"/> is in its life. Terminal states never change.</summary>
/// <remarks>
/// <code>
/// Pending ──(last call decided)──▶ Decided ──(resume claims)──▶ Executing ──▶ Completed
///    │                                │                           │  └──────▶ InDoubt ──(person resolves)──▶ Decided
///    ├──(deadline passes)──▶ Expired  └──▶ Cancelled              └──(model call fails: claim released)──▶ Decided
///    │                         └──(resume: nothing runs, the model is told)──▶ Executing ──▶ Completed
///    └──(cancelled)──▶ Cancelled
/// </code>
/// Each change is one atomic compare-and-swap in the <see cref="IStateStore"/>, written with its audit entry.
/// </remarks>
public enum ApprovalStatus
{
    /// <summary>At least one call waits for a person's decision.</summary>
    Pending = 0,

    /// <summary>Every call is decided; the approval waits to be resumed.</summary>
    Decided = 1,

    /// <summary>A resume has claimed the approval and is running its calls (under a lease).</summary>
    Executing = 2,

    /// <summary>Every call was answered and the conversation moved on. Terminal.</summary>
    Completed = 3,

    /// <summary>A call was interrupted while running and its tool cannot prove whether it took effect; a person must reconcile it.</summary>
    InDoubt = 4,

    /// <summary>No decision came before <see cref="PendingApproval.ExpiresAt"/>; nothing of the batch will run. A resume only tells the model so and completes it.</summary>
    Expired = 5,

    /// <summary>The approval was withdrawn; nothing ran. Terminal.</summary>
    Cancelled = 6,
}
