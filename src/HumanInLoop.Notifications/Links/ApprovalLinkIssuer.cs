using HumanInLoop.Notifications.Internal;

namespace HumanInLoop.Notifications;

/// <summary>
/// Makes signed approve/reject links for one call and one recipient, and checks them when they come back.
/// </summary>
/// <remarks>
/// <para>
/// A token is HMAC-SHA256-signed with <see cref="ApprovalLinkOptions.SigningKey"/> and binds the approval id, the call id,
/// the call's <see cref="PendingToolCall.Fingerprint"/> (what the recipient was shown), the decision (approve or reject),
/// the recipient, an expiry and a random nonce. Changing any of it breaks the signature. A link decides nothing when
/// opened (GET shows a confirmation page); the POST from that page decides, once: the token's hash is recorded as used.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class ApprovalLinkIssuer
{
    private readonly Uri _baseUri;
    private readonly ReadOnlyMemory<byte> _signingKey;
    private readonly ReadOnlyMemory<byte>[] _verificationKeys;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="ApprovalLinkIssuer"/> class.</summary>
    /// <param name="options">The settings; validated and copied here.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="InvalidOperationException">A setting is missing or invalid; the message says which.</exception>
    public ApprovalLinkIssuer(ApprovalLinkOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string baseUri = options.BaseUri!.AbsoluteUri;
        _baseUri = new Uri(baseUri.EndsWith('/') ? baseUri : baseUri + "/");
        _signingKey = options.SigningKey.ToArray();
        _verificationKeys = [_signingKey, .. options.PreviousSigningKeys.Select(k => (ReadOnlyMemory<byte>)k.ToArray())];
        _lifetime = options.Lifetime;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Makes the approve and reject links for one call, for one recipient.</summary>
    /// <param name="approval">The approval, pending.</param>
    /// <param name="call">The call, awaiting approval.</param>
    /// <param name="recipientKind">Where the recipient's identity comes from, such as <see cref="ApproverDirectory.Email"/>.</param>
    /// <param name="recipientId">The recipient (an e-mail address): the <see cref="IApproverDirectory"/> maps it to an approver when the link is used.</param>
    /// <returns>The links.</returns>
    public ApprovalLinks CreateLinks(PendingApproval approval, PendingToolCall call, string recipientKind, string recipientId)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentNullException.ThrowIfNull(call);
        ArgumentException.ThrowIfNullOrWhiteSpace(recipientKind);
        ArgumentException.ThrowIfNullOrWhiteSpace(recipientId);
        if (approval.FindCall(call.CallId) is null)
        {
            throw new ArgumentException($"Call '{call.CallId}' is not part of approval '{approval.Id}'.", nameof(call));
        }

        DateTimeOffset expires = _time.GetUtcNow() + _lifetime;
        if (approval.ExpiresAt < expires)
        {
            expires = approval.ExpiresAt;
        }

        // Whole seconds, rounded down: a link never outlives the deadline.
        long expiresSeconds = expires.ToUnixTimeSeconds();
        string approve = Token(LinkDecision.Approve);
        string reject = Token(LinkDecision.Reject);
        return new ApprovalLinks(
            new Uri(_baseUri, $"{LinkDecision.Approve}/{approve}"),
            new Uri(_baseUri, $"{LinkDecision.Reject}/{reject}"),
            DateTimeOffset.FromUnixTimeSeconds(expiresSeconds));

        string Token(string decision) => LinkToken.Create(
            new LinkClaims(1, approval.Id, call.CallId, call.Fingerprint, decision, recipientKind, recipientId, expiresSeconds, LinkToken.NewNonce()),
            _signingKey.Span);
    }

    internal (LinkTokenStatus Status, LinkClaims? Claims) Verify(string? token) => LinkToken.Verify(token, _verificationKeys, _time.GetUtcNow());
}
