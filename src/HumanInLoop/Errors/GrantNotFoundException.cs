namespace HumanInLoop;

/// <summary>Thrown when a standing grant does not exist (or the store keeps no grants).</summary>
public sealed class GrantNotFoundException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="GrantNotFoundException"/> class.</summary>
    /// <param name="grantId">The grant asked for.</param>
    public GrantNotFoundException(string grantId)
        : base(null, null, $"No standing grant '{grantId}' exists.")
    {
        GrantId = grantId;
    }

    /// <summary>Gets the grant asked for.</summary>
    public string GrantId { get; }
}
