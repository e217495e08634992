namespace HumanInLoop;

/// <summary>A stored standing grant, as an <see cref="IGrantStore"/> keeps it.</summary>
/// <param name="Id">The grant's id, unique in the store.</param>
/// <param name="ToolName">The tool the grant covers, kept for filtering.</param>
/// <param name="TenantId">The tenant the grant belongs to, kept for filtering; <see langword="null"/> when none.</param>
/// <param name="CreatedAt">When it was granted (UTC).</param>
/// <param name="ExpiresAt">When it stops allowing anything (UTC).</param>
/// <param name="Revoked">Whether it was revoked.</param>
/// <param name="Version">The version for optimistic concurrency: 1 when created, one more on each update.</param>
/// <param name="Data">The grant itself (JSON written by HumanInLoop); opaque to the store.</param>
public sealed record GrantEntry(
    string Id, string ToolName, string? TenantId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, bool Revoked, long Version, string Data)
{
    /// <summary>Gets the grant's id, unique in the store.</summary>
    public string Id { get; init => field = StateEntry.WellFormed(value, nameof(Id)); } = StateEntry.WellFormed(Id, nameof(Id));

    /// <summary>Gets the tool the grant covers.</summary>
    public string ToolName { get; init => field = StateEntry.WellFormed(value, nameof(ToolName)); } = StateEntry.WellFormed(ToolName, nameof(ToolName));

    /// <summary>Gets the tenant the grant belongs to, if any.</summary>
    public string? TenantId { get; init => field = value is null ? null : StateEntry.WellFormed(value, nameof(TenantId)); } =
        TenantId is null ? null : StateEntry.WellFormed(TenantId, nameof(TenantId));
}
