namespace HumanInLoop;

/// <summary>How far a replay has come, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Replayed">How many recorded calls were evaluated so far.</param>
/// <param name="FalseApprovals">How many of them the candidate would allow although a person rejected or edited them.</param>
public sealed record ReplayProgress(long Replayed, long FalseApprovals);
