namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The body of a revoke: JSON, or a form field of the same name. Who revokes is the authenticated user, never the body.</summary>
internal sealed class GrantRevokeRequest
{
    /// <summary>Gets or sets why the grant is revoked; required, recorded on the grant.</summary>
    public string? Reason { get; set; }
}
