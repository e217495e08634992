namespace HumanInLoop.Notifications.Internal;

/// <summary>The outcome of <see cref="SlackRequestSignature.Verify"/>.</summary>
internal enum SlackSignatureStatus
{
    /// <summary>Signed with the secret, and fresh.</summary>
    Valid = 0,

    /// <summary>The timestamp or the signature header is missing or malformed.</summary>
    Missing = 1,

    /// <summary>The timestamp is more than <see cref="SlackRequestSignature.MaxClockSkew"/> from now (a possible replay).</summary>
    Stale = 2,

    /// <summary>The signature does not match: not from Slack, or altered.</summary>
    Mismatch = 3,
}
