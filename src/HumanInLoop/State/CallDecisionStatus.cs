namespace HumanInLoop;

/// <summary>What was decided about one call of a held batch.</summary>
public enum CallDecisionStatus
{
    /// <summary>The policies allowed it; it runs on resume without asking anyone.</summary>
    AutoAllowed = 0,

    /// <summary>A policy denied it; it never runs and the model is told why.</summary>
    Denied = 1,

    /// <summary>It waits for a person.</summary>
    AwaitingApproval = 2,

    /// <summary>A person approved it (possibly with edited arguments).</summary>
    Approved = 3,

    /// <summary>A person rejected it; it never runs and the model is told why.</summary>
    Rejected = 4,

    /// <summary>Nobody decided before the approval's deadline; it never runs and the model is told on resume.</summary>
    Expired = 5,

    /// <summary>
    /// A person answered it in place of the tool (<see cref="ApprovalDecision.RespondInstead(Approver, string, string?)"/>): it never runs, and
    /// the model receives the person's answer (<see cref="PendingToolCall.Result"/>) as the call's result.
    /// </summary>
    Responded = 6,
}
