namespace HumanInLoop;

/// <summary>The outcome of running a plan: what ran, what was denied, and the approval holding the rest, if any.</summary>
/// <param name="Actions">Every action of the plan (or, after a resume, of the approval), in order.</param>
/// <param name="PendingApproval">The saved approval holding the actions that need a person, or <see langword="null"/> when none do.</param>
public sealed record PlanResult(IReadOnlyList<ActionOutcome> Actions, PendingApproval? PendingApproval);
