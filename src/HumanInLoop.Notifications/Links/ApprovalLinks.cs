namespace HumanInLoop.Notifications;

/// <summary>The two links for one call and one recipient, made by <see cref="ApprovalLinkIssuer.CreateLinks"/>.</summary>
/// <param name="ApproveUri">Opens a page to confirm approval of the call.</param>
/// <param name="RejectUri">Opens a page to confirm rejection of the call.</param>
/// <param name="ExpiresAt">When both links stop working (UTC): the earlier of the link lifetime and the approval's deadline.</param>
public sealed record ApprovalLinks(Uri ApproveUri, Uri RejectUri, DateTimeOffset ExpiresAt);
