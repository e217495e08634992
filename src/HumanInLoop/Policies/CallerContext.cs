namespace HumanInLoop;

/// <summary>
/// Who and what a chat request is about: the ids a policy can decide on and an approver's inbox can filter by.
/// </summary>
/// <remarks>
/// Attach it to a request with <see cref="Microsoft.Extensions.AI.ChatOptionsApprovalExtensions.WithCallerContext"/>.
/// It is saved with every <see cref="PendingApproval"/> and restored on resume. Instances are immutable.
/// </remarks>
public sealed record CallerContext
{
    /// <summary>Gets an empty context, used when a request carries none.</summary>
    public static CallerContext Empty { get; } = new();

    /// <summary>Gets the id of the user on whose behalf the agent acts (the requester).</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the id of the tenant, for multi-tenant hosts.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the id of the conversation, used to list the approvals it is waiting for.</summary>
    public string? ConversationId { get; init; }
}
