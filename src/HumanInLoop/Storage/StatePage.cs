namespace HumanInLoop;

/// <summary>One page of a listing.</summary>
/// <param name="Entries">The entries, newest first.</param>
/// <param name="ContinuationToken">Pass it in <see cref="StateQuery.ContinuationToken"/> for the next page; <see langword="null"/> when this is the last.</param>
public sealed record StatePage(IReadOnlyList<StateEntry> Entries, string? ContinuationToken);
