using System.Collections.Concurrent;

namespace HumanInLoop.Notifications;

/// <summary>An <see cref="IApproverDirectory"/> from a fixed list, typically read from configuration.</summary>
/// <remarks>Thread-safe. E-mail addresses match case-insensitively; Slack user ids and other kinds ordinally.</remarks>
public sealed class ApproverDirectory : IApproverDirectory
{
    /// <summary>The kind of e-mail identities: the address a link was sent to.</summary>
    public const string Email = "email";

    /// <summary>The kind of Slack identities: the user id (<c>U...</c>) in an interactive callback.</summary>
    public const string Slack = "slack";

    private readonly ConcurrentDictionary<string, Approver> _approvers = new(StringComparer.Ordinal);

    /// <summary>Lets the owner of an e-mail address decide as <paramref name="approver"/>.</summary>
    /// <param name="address">The address links are sent to.</param>
    /// <param name="approver">Who that is, with roles.</param>
    /// <returns>This directory, for chaining.</returns>
    public ApproverDirectory AddEmail(string address, Approver approver) => Add(Email, address, approver);

    /// <summary>Lets a Slack user decide as <paramref name="approver"/>.</summary>
    /// <param name="userId">The Slack user id, such as <c>U024BE7LH</c>.</param>
    /// <param name="approver">Who that is, with roles.</param>
    /// <returns>This directory, for chaining.</returns>
    public ApproverDirectory AddSlackUser(string userId, Approver approver) => Add(Slack, userId, approver);

    /// <summary>Lets an outside identity decide as <paramref name="approver"/>.</summary>
    /// <param name="kind">Where the identity comes from.</param>
    /// <param name="externalId">The address or user id.</param>
    /// <param name="approver">Who that is, with roles.</param>
    /// <returns>This directory, for chaining.</returns>
    public ApproverDirectory Add(string kind, string externalId, Approver approver)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(externalId);
        ArgumentNullException.ThrowIfNull(approver);
        _approvers[Key(kind, externalId)] = approver;
        return this;
    }

    /// <inheritdoc />
    public ValueTask<Approver?> FindAsync(string kind, string externalId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(externalId);
        return new(_approvers.TryGetValue(Key(kind, externalId), out Approver? approver) ? approver : null);
    }

    private static string Key(string kind, string externalId) =>
        kind + "\n" + (kind == Email ? externalId.Trim().ToUpperInvariant() : externalId);
}
