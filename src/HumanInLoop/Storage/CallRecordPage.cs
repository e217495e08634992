namespace HumanInLoop;

/// <summary>One page of call records.</summary>
/// <param name="Entries">The records, oldest first.</param>
/// <param name="ContinuationToken">Pass it in <see cref="CallRecordQuery.ContinuationToken"/> for the next page; <see langword="null"/> when this is the last.</param>
public sealed record CallRecordPage(IReadOnlyList<CallRecordEntry> Entries, string? ContinuationToken);
