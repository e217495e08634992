using System.Net;
using System.Text;
using MimeKit;

namespace HumanInLoop.Notifications.Internal;

/// <summary>Builds the e-mails: plain text and HTML with the same content. Model-written text is HTML-encoded.</summary>
internal static class EmailMessages
{
    private const int MaxCallsShown = 20;

    public static MimeMessage Build(ApprovalDelivery delivery, MailboxAddress from, string recipient, ApprovalLinkIssuer? links)
    {
        PendingApproval approval = delivery.Approval;
        StringBuilder text = new();
        StringBuilder html = new();
        string title = ApprovalText.Title(delivery);
        html.Append("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">");
        html.Append("<h2>").Append(Encode(title)).Append("</h2>");
        text.Append(title).Append("\n\n");

        if (!ApprovalText.AsksForDecision(delivery))
        {
            string line = ApprovalText.Announcement(delivery);
            text.Append(line).Append('\n');
            html.Append("<p>").Append(Encode(line)).Append("</p>");
        }
        else
        {
            if (links is null)
            {
                throw new InvalidOperationException("E-mail approval requests need approval links: register them with AddApprovalLinks(...).");
            }

            string intro = delivery.Kind == ApprovalNotificationKind.Escalated
                ? $"Nobody decided in time, so the call(s) below were escalated to {ApprovalText.EscalationGroup(delivery)}, who may now decide them. Please decide before {ApprovalText.Time(approval.ExpiresAt)}; if nobody does, nothing runs."
                : delivery.IsEscalation
                ? $"Nobody has decided yet, and the deadline is {ApprovalText.Time(approval.ExpiresAt)}. If nobody decides by then, nothing runs."
                : $"An assistant wants to make the call(s) below. Please decide before {ApprovalText.Time(approval.ExpiresAt)}; if nobody does, nothing runs.";
            text.Append(intro).Append("\n\n");
            html.Append("<p>").Append(Encode(intro)).Append("</p>");
            foreach (PendingToolCall call in delivery.CallsToDecide.Take(MaxCallsShown))
            {
                ApprovalLinks callLinks = links.CreateLinks(approval, call, ApproverDirectory.Email, recipient);
                string arguments = ApprovalText.Arguments(call.Arguments, 4000);
                text.Append("Tool: ").Append(call.ToolName).Append(" (call ").Append(call.CallId).Append(")\n");
                if (!string.IsNullOrWhiteSpace(call.PolicyReason))
                {
                    text.Append("Why you are asked: ").Append(call.PolicyReason).Append('\n');
                }

                text.Append("Arguments:\n").Append(arguments).Append("\n\n");
                text.Append("Approve: ").Append(callLinks.ApproveUri.AbsoluteUri).Append('\n');
                text.Append("Reject:  ").Append(callLinks.RejectUri.AbsoluteUri).Append("\n\n");

                html.Append("<div style=\"border:1px solid #ccc;padding:12px;margin:12px 0\">");
                html.Append("<p><b>").Append(Encode(call.ToolName)).Append("</b> (call <code>").Append(Encode(call.CallId)).Append("</code>)</p>");
                if (!string.IsNullOrWhiteSpace(call.PolicyReason))
                {
                    html.Append("<p>Why you are asked: ").Append(Encode(call.PolicyReason)).Append("</p>");
                }

                html.Append("<pre>").Append(Encode(arguments)).Append("</pre>");
                html.Append("<p><a href=\"").Append(Encode(callLinks.ApproveUri.AbsoluteUri)).Append("\">Approve…</a> &nbsp; ");
                html.Append("<a href=\"").Append(Encode(callLinks.RejectUri.AbsoluteUri)).Append("\">Reject…</a></p>");
                html.Append("</div>");
            }

            int hidden = delivery.CallsToDecide.Count - MaxCallsShown;
            if (hidden > 0)
            {
                text.Append(hidden).Append(" more call(s) are not shown; decide them in the approvals inbox.\n");
                html.Append("<p>").Append(hidden).Append(" more call(s) are not shown; decide them in the approvals inbox.</p>");
            }

            const string Note = "Each link opens a page where you confirm; it works once, only for you, and expires with the approval. Do not forward this e-mail. " + ApprovalText.RespondInInbox;
            text.Append(Note).Append('\n');
            html.Append("<p style=\"color:#666\">").Append(Encode(Note)).Append("</p>");
        }

        text.Append("\nApproval ").Append(approval.Id).Append('\n');
        html.Append("<p style=\"color:#666\">Approval <code>").Append(Encode(approval.Id)).Append("</code></p></body></html>");

        MimeMessage message = new();
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(recipient));
        message.Subject = ApprovalText.Visible(Subject(delivery));
        message.Headers.Add("X-HumanInLoop-Approval", approval.Id);
        message.Body = new BodyBuilder { TextBody = ApprovalText.Visible(text.ToString()), HtmlBody = html.ToString() }.ToMessageBody();
        return message;
    }

    /// <summary>The subject names our own tool names only: the model's arguments stay in the body.</summary>
    private static string Subject(ApprovalDelivery delivery)
    {
        string tools = ApprovalText.AsksForDecision(delivery)
            ? string.Join(", ", delivery.CallsToDecide.Select(c => c.ToolName).Distinct(StringComparer.Ordinal))
            : ApprovalText.ToolNames(delivery.Approval);
        return ApprovalText.Truncate($"{ApprovalText.Title(delivery)}: {tools}", 150);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(ApprovalText.Visible(text));
}
