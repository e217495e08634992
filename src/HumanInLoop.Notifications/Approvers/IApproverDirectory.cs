namespace HumanInLoop.Notifications;

/// <summary>
/// Maps an identity from outside (an e-mail address a link was sent to, a Slack user id) to the <see cref="Approver"/>
/// the core checks against the policies. Consulted at decision time, so removing someone takes effect at once,
/// even for links already sent.
/// </summary>
/// <remarks>Implementations must be thread-safe. Back it by your directory or identity provider in production.</remarks>
public interface IApproverDirectory
{
    /// <summary>Finds the approver for an outside identity.</summary>
    /// <param name="kind">Where the identity comes from: <see cref="ApproverDirectory.Email"/>, <see cref="ApproverDirectory.Slack"/>, or your own.</param>
    /// <param name="externalId">The address or user id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The approver, or <see langword="null"/> when this identity may not decide anything.</returns>
    ValueTask<Approver?> FindAsync(string kind, string externalId, CancellationToken cancellationToken = default);
}
