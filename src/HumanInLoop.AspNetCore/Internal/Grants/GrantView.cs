namespace HumanInLoop.AspNetCore.Internal;

/// <summary>A standing grant as the grant endpoints show it.</summary>
/// <remarks>Built from an <see cref="ApprovalGrant"/>; instances are immutable.</remarks>
internal sealed record GrantView
{
    /// <summary>Gets the grant's id.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the tool covered.</summary>
    public required string ToolName { get; init; }

    /// <summary>Gets whose calls are covered: a name of <see cref="GrantScope"/>.</summary>
    public required string Scope { get; init; }

    /// <summary>Gets the user or conversation covered; <see langword="null"/> for a tenant-wide grant.</summary>
    public string? ScopeId { get; init; }

    /// <summary>Gets the tenant the grant belongs to.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the bounds on the covered calls' arguments.</summary>
    public required IReadOnlyList<GrantArgumentBoundView> ArgumentBounds { get; init; }

    /// <summary>Gets who made the grant.</summary>
    public required string GrantedBy { get; init; }

    /// <summary>Gets when it was made (UTC).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when it stops covering anything (UTC).</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Gets the approval whose decision made the grant.</summary>
    public required string ApprovalId { get; init; }

    /// <summary>Gets the call whose approval made the grant.</summary>
    public required string CallId { get; init; }

    /// <summary>Gets who revoked it, or <see langword="null"/>.</summary>
    public string? RevokedBy { get; init; }

    /// <summary>Gets when it was revoked (UTC), or <see langword="null"/>.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Gets why it was revoked, or <see langword="null"/>.</summary>
    public string? RevokeReason { get; init; }

    public static GrantView Create(ApprovalGrant grant) => new()
    {
        Id = grant.Id,
        ToolName = grant.ToolName,
        Scope = grant.Scope.ToString(),
        ScopeId = grant.ScopeId,
        TenantId = grant.TenantId,
        ArgumentBounds = [.. grant.ArgumentBounds.Select(b => new GrantArgumentBoundView(b.Name, b.EqualTo, b.Maximum))],
        GrantedBy = grant.GrantedBy,
        CreatedAt = grant.CreatedAt,
        ExpiresAt = grant.ExpiresAt,
        ApprovalId = grant.ApprovalId,
        CallId = grant.CallId,
        RevokedBy = grant.RevokedBy,
        RevokedAt = grant.RevokedAt,
        RevokeReason = grant.RevokeReason,
    };
}
