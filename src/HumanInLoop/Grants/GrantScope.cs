namespace HumanInLoop;

/// <summary>Whose later calls a standing grant (<see cref="ApprovalGrant"/>) covers. A grant never crosses tenants, whatever its scope.</summary>
public enum GrantScope
{
    /// <summary>Calls by the same user (<see cref="CallerContext.UserId"/>) as the approved call.</summary>
    User = 0,

    /// <summary>Calls in the same conversation (<see cref="CallerContext.ConversationId"/>) as the approved call.</summary>
    Conversation = 1,

    /// <summary>Calls by anyone in the same tenant (<see cref="CallerContext.TenantId"/>) as the approved call.</summary>
    Tenant = 2,
}
