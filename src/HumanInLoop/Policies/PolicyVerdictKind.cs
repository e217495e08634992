namespace HumanInLoop;

/// <summary>What a policy says about one tool call. Several policies combine as Deny over RequireApproval over Allow.</summary>
public enum PolicyVerdictKind
{
    /// <summary>The policy has no opinion on this call (it does not cover the tool).</summary>
    NotApplicable = 0,

    /// <summary>The call may run at once.</summary>
    Allow = 1,

    /// <summary>The call must wait for a person's decision.</summary>
    RequireApproval = 2,

    /// <summary>The call must not run; the model is told it was denied and why.</summary>
    Deny = 3,
}
