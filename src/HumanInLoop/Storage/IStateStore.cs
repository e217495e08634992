namespace HumanInLoop;

/// <summary>
/// Durable storage for approvals: the only authority on their state. Every change is a compare-and-swap on
/// <see cref="StateEntry.Version"/>, so two processes racing on one approval get exactly one winner.
/// </summary>
/// <remarks>
/// Implementations store <see cref="StateEntry.Data"/> exactly as given (byte for byte) and index the other columns.
/// They must be thread-safe and safe across processes sharing the same storage. Every implementation is held to
/// the same contract test suite (tests/HumanInLoop.Testing/StateStoreContractTests.cs).
/// </remarks>
public interface IStateStore
{
    /// <summary>
    /// Gets whether the store keeps <see cref="StateEntry.History"/>: stores it from <see cref="TryCreateAsync"/>, keeps it
    /// unchanged through <see cref="TryUpdateAsync"/>, and returns it from <see cref="GetAsync"/> and <see cref="ListAsync"/>.
    /// The library then writes an approval's conversation once, at the hold, instead of inside <see cref="StateEntry.Data"/>
    /// on every change. <see langword="false"/> (the default, for stores written before it existed): every entry's
    /// <see cref="StateEntry.Data"/> holds the whole approval and <see cref="StateEntry.History"/> is never set, except on
    /// the updates of an entry that came back with one (copied from a store that keeps it apart), which carry it unchanged.
    /// </summary>
    bool StoresHistorySeparately => false;

    /// <summary>Adds a new entry with <see cref="StateEntry.Version"/> 1.</summary>
    /// <param name="entry">The entry; its version must be 1.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when added; <see langword="false"/> when an entry with the id exists (nothing changes).</returns>
    Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Reads one entry.</summary>
    /// <param name="id">The approval id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The entry, or <see langword="null"/> when there is none.</returns>
    Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads one entry without its <see cref="StateEntry.History"/>, for a step that does not need the conversation (a decision, a
    /// sweep): every other column as <see cref="GetAsync"/> returns it, and <see cref="StateEntry.History"/> <see langword="null"/>.
    /// </summary>
    /// <param name="id">The approval id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The entry, or <see langword="null"/> when there is none.</returns>
    /// <remarks>
    /// The default, for stores written before it existed, is <see cref="GetAsync"/>: the whole entry, and the library then reads
    /// such a store exactly as before. Only a store that keeps the conversation apart (<see cref="StoresHistorySeparately"/>) saves
    /// anything by implementing it; one that does must honour <see cref="StateQuery.IncludeHistory"/> too.
    /// </remarks>
    Task<StateEntry?> GetWithoutHistoryAsync(string id, CancellationToken cancellationToken = default) => GetAsync(id, cancellationToken);

    /// <summary>Replaces an entry if, and only if, its stored version is still <paramref name="expectedVersion"/>.</summary>
    /// <param name="entry">The new entry; its version must be <paramref name="expectedVersion"/> + 1.</param>
    /// <param name="expectedVersion">The version the caller read.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when replaced; <see langword="false"/> when the entry is missing or another writer changed it first.</returns>
    Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Lists entries newest first (by <see cref="StateEntry.CreatedAt"/>, then id), filtered and paged.</summary>
    /// <param name="query">The filter and page.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One page, with a token for the next one if there may be more.</returns>
    Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default);
}
