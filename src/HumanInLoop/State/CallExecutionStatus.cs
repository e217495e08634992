namespace HumanInLoop;

/// <summary>Whether one call of a held batch has run.</summary>
public enum CallExecutionStatus
{
    /// <summary>It has not run yet.</summary>
    NotStarted = 0,

    /// <summary>A resume recorded that it is about to run it; if that resume dies, the outcome is unknown.</summary>
    Started = 1,

    /// <summary>It ran and returned a result.</summary>
    Succeeded = 2,

    /// <summary>It ran and threw; it is not run again.</summary>
    Failed = 3,

    /// <summary>It was interrupted while running and its tool cannot honour the idempotency key; it is never re-run automatically.</summary>
    InDoubt = 4,

    /// <summary>It was answered without running (denied or rejected).</summary>
    NotRun = 5,
}
