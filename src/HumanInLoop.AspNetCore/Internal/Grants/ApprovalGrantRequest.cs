namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The <c>grant</c> of an approval ("don't ask again"): whose later calls of the same tool it covers, for how long, and the bounds
/// on their arguments. The tool, user, conversation and tenant come from the approved call, never from the body.
/// </summary>
internal sealed class ApprovalGrantRequest
{
    /// <summary>Gets or sets the scope: a name of <see cref="GrantScope"/> (<c>user</c>, <c>conversation</c>, <c>tenant</c>).</summary>
    public string? Scope { get; set; }

    /// <summary>Gets or sets how long the grant lasts: ISO 8601 (<c>PT8H</c>, <c>P7D</c>) or .NET's constant format (<c>08:00:00</c>, <c>7.00:00:00</c>).</summary>
    public string? Duration { get; set; }

    /// <summary>Gets or sets the bounds on the later calls' arguments; all must hold. None: any arguments.</summary>
    public List<GrantArgumentBoundRequest>? ArgumentBounds { get; set; }
}
