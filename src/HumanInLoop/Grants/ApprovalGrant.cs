using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanInLoop;

/// <summary>
/// A standing grant: a person's scoped, expiring "don't ask again" for one tool. A later call that the policies would put to a
/// person is allowed instead when a grant in force covers it (same tool and tenant, the scope's user or conversation, every
/// argument bound). A grant never allows what a policy denies, never stands in for more than one approver, and only covers
/// calls its maker may approve.
/// </summary>
/// <remarks>Made with <see cref="ApprovalDecision.Grant"/>; listed and revoked through <see cref="StandingGrants"/>. Instances are immutable.</remarks>
public sealed class ApprovalGrant
{
    [JsonConstructor]
    internal ApprovalGrant()
    {
    }

    /// <summary>Gets the grant's id.</summary>
    [JsonInclude]
    public string Id { get; internal set; } = "";

    /// <summary>Gets the tool covered.</summary>
    [JsonInclude]
    public string ToolName { get; internal set; } = "";

    /// <summary>Gets whose calls are covered.</summary>
    [JsonInclude]
    public GrantScope Scope { get; internal set; }

    /// <summary>Gets the user or conversation covered (by <see cref="Scope"/>); <see langword="null"/> for <see cref="GrantScope.Tenant"/>.</summary>
    [JsonInclude]
    public string? ScopeId { get; internal set; }

    /// <summary>Gets the tenant the grant belongs to; it covers no call of another tenant.</summary>
    [JsonInclude]
    public string? TenantId { get; internal set; }

    /// <summary>Gets the bounds on the covered calls' arguments.</summary>
    [JsonInclude]
    public IReadOnlyList<GrantArgumentBound> ArgumentBounds { get; internal set; } = [];

    /// <summary>Gets who made the grant.</summary>
    [JsonInclude]
    public string GrantedBy { get; internal set; } = "";

    /// <summary>Gets the roles the maker held when granting; a later call is covered only if these (or the maker's id) may approve it.</summary>
    [JsonInclude]
    public IReadOnlyList<string> GrantedByRoles { get; internal set; } = [];

    /// <summary>Gets when it was made (UTC).</summary>
    [JsonInclude]
    public DateTimeOffset CreatedAt { get; internal set; }

    /// <summary>Gets when it stops covering anything (UTC).</summary>
    [JsonInclude]
    public DateTimeOffset ExpiresAt { get; internal set; }

    /// <summary>Gets the approval whose decision made the grant.</summary>
    [JsonInclude]
    public string ApprovalId { get; internal set; } = "";

    /// <summary>Gets the call whose approval made the grant.</summary>
    [JsonInclude]
    public string CallId { get; internal set; } = "";

    /// <summary>Gets who revoked it, or <see langword="null"/>.</summary>
    [JsonInclude]
    public string? RevokedBy { get; internal set; }

    /// <summary>Gets when it was revoked (UTC), or <see langword="null"/>.</summary>
    [JsonInclude]
    public DateTimeOffset? RevokedAt { get; internal set; }

    /// <summary>Gets why it was revoked, or <see langword="null"/>.</summary>
    [JsonInclude]
    public string? RevokeReason { get; internal set; }

    /// <summary>Gets the stored version, for optimistic concurrency.</summary>
    [JsonIgnore]
    public long Version { get; internal set; }

    /// <summary>Gets whether the grant covers anything at <paramref name="now"/>: not revoked and not expired.</summary>
    /// <param name="now">The moment to check.</param>
    /// <returns><see langword="true"/> if in force.</returns>
    public bool IsInForceAt(DateTimeOffset now) => RevokedAt is null && now < ExpiresAt;

    /// <summary>Checks whether the grant covers a call, ignoring time and revocation (see <see cref="IsInForceAt"/>).</summary>
    /// <param name="toolName">The call's tool.</param>
    /// <param name="arguments">The call's arguments.</param>
    /// <param name="context">The caller.</param>
    /// <returns><see langword="true"/> if the tool, tenant, scope and every argument bound match.</returns>
    public bool Covers(string toolName, JsonElement arguments, CallerContext context)
    {
        ArgumentNullException.ThrowIfNull(toolName);
        ArgumentNullException.ThrowIfNull(context);
        if (!string.Equals(toolName, ToolName, StringComparison.Ordinal) || !string.Equals(context.TenantId, TenantId, StringComparison.Ordinal))
        {
            return false;
        }

        bool inScope = Scope switch
        {
            GrantScope.User => ScopeId is not null && string.Equals(context.UserId, ScopeId, StringComparison.Ordinal),
            GrantScope.Conversation => ScopeId is not null && string.Equals(context.ConversationId, ScopeId, StringComparison.Ordinal),
            _ => true,
        };
        return inScope && ArgumentBounds.All(b => b.IsSatisfiedBy(arguments));
    }
}
