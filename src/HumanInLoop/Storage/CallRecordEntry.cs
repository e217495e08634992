namespace HumanInLoop;

/// <summary>A stored record of one call the gate judged without holding it, as an <see cref="ICallRecordStore"/> keeps it.</summary>
/// <param name="Id">The record's id, unique in the store.</param>
/// <param name="ToolName">The tool called, kept for filtering.</param>
/// <param name="TenantId">The caller's tenant, kept for filtering; <see langword="null"/> when the caller named none.</param>
/// <param name="RecordedAt">When the gate judged the call (UTC), kept for filtering and ordering.</param>
/// <param name="Data">The record itself (JSON written by HumanInLoop); opaque to the store.</param>
public sealed record CallRecordEntry(string Id, string ToolName, string? TenantId, DateTimeOffset RecordedAt, string Data)
{
    /// <summary>Gets the record's id, unique in the store.</summary>
    public string Id { get; init => field = StateEntry.WellFormed(value, nameof(Id)); } = StateEntry.WellFormed(Id, nameof(Id));

    /// <summary>Gets the tool called.</summary>
    public string ToolName { get; init => field = StateEntry.WellFormed(value, nameof(ToolName)); } = StateEntry.WellFormed(ToolName, nameof(ToolName));

    /// <summary>Gets the caller's tenant, if any.</summary>
    public string? TenantId { get; init => field = value is null ? null : StateEntry.WellFormed(value, nameof(TenantId)); } =
        TenantId is null ? null : StateEntry.WellFormed(TenantId, nameof(TenantId));
}
