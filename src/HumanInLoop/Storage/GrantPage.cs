namespace HumanInLoop;

/// <summary>One page of grants.</summary>
/// <param name="Entries">The grants, newest first.</param>
/// <param name="ContinuationToken">Pass it in <see cref="GrantQuery.ContinuationToken"/> for the next page; <see langword="null"/> when this is the last.</param>
public sealed record GrantPage(IReadOnlyList<GrantEntry> Entries, string? ContinuationToken);
