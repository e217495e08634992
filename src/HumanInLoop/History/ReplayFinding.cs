namespace HumanInLoop;

/// <summary>One recorded call a replay lists, with what the candidate policies would have said about it.</summary>
/// <param name="Call">The recorded call: its exact arguments, caller, and what really became of it (with the person's reason).</param>
/// <param name="Candidate">What the candidate policies said; <see cref="RecordedVerdict.Error"/> is set when one threw.</param>
public sealed record ReplayFinding(RecordedCall Call, RecordedVerdict Candidate);
