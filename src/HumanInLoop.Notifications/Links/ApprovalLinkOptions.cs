namespace HumanInLoop.Notifications;

/// <summary>Settings of signed approve/reject links: where they point, the key that signs them, and how long they live.</summary>
/// <remarks>A plain settings object, validated once when the <see cref="ApprovalLinkIssuer"/> is created.</remarks>
public sealed class ApprovalLinkOptions
{
    /// <summary>
    /// Gets or sets the absolute public address where <c>MapApprovalLinkEndpoints</c> is mapped, for example
    /// <c>https://approvals.example.com/approvals/links</c>. Links are <c>{BaseUri}/approve/{token}</c> and <c>{BaseUri}/reject/{token}</c>.
    /// </summary>
    /// <value>Required.</value>
    public Uri? BaseUri { get; set; }

    /// <summary>
    /// Gets or sets the secret key (32 random bytes or more) that signs link tokens with HMAC-SHA256. Keep it out of source
    /// control (configuration, a key vault); anyone who has it can mint links.
    /// </summary>
    /// <value>Required.</value>
    public ReadOnlyMemory<byte> SigningKey { get; set; }

    /// <summary>Gets keys that signed links before the current <see cref="SigningKey"/>: links they signed are still accepted, new links are signed with <see cref="SigningKey"/> only. Remove a key once its links have expired.</summary>
    public IList<ReadOnlyMemory<byte>> PreviousSigningKeys { get; } = [];

    /// <summary>Gets or sets the longest a link lives; it never outlives the approval's deadline.</summary>
    /// <value>Default 3 days.</value>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(3);

    internal void Validate()
    {
        if (BaseUri is not { IsAbsoluteUri: true } uri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException("ApprovalLinkOptions.BaseUri must be the absolute http(s) address where MapApprovalLinkEndpoints is mapped, for example https://approvals.example.com/approvals/links.");
        }

        if (SigningKey.Length < 32 || PreviousSigningKeys.Any(k => k.Length < 32))
        {
            throw new InvalidOperationException("ApprovalLinkOptions.SigningKey (and every previous key) must be at least 32 random bytes, for example Convert.FromBase64String(configuration[\"Approvals:LinkSigningKey\"]) made with RandomNumberGenerator.GetBytes(32).");
        }

        if (Lifetime <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("ApprovalLinkOptions.Lifetime must be more than zero.");
        }
    }
}
