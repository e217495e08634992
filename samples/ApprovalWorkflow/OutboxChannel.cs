using System.Text;
using HumanInLoop;
using HumanInLoop.Notifications;

namespace ApprovalWorkflow;

/// <summary>
/// A channel for running offline: writes each message as a text file with the approve/reject links, one per recipient,
/// so you can open them in a browser. Also an example of a custom <see cref="IApprovalChannel"/>.
/// </summary>
internal sealed class OutboxChannel(string name, string folder, IReadOnlyList<string> recipients, ApprovalLinkIssuer links) : IApprovalChannel
{
    public string Name => name;

    public async Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        foreach (string recipient in recipients)
        {
            StringBuilder text = new();
            text.Append("To: ").Append(recipient).Append('\n');
            text.Append(delivery.IsEscalation ? "ESCALATED " : "").Append(delivery.Kind).Append(": approval ").Append(delivery.Approval.Id).Append("\n\n");
            if (delivery.Kind == ApprovalNotificationKind.Pending)
            {
                foreach (PendingToolCall call in delivery.CallsToDecide)
                {
                    ApprovalLinks callLinks = links.CreateLinks(delivery.Approval, call, ApproverDirectory.Email, recipient);
                    text.Append(call.ToolName).Append(' ').Append(call.Arguments.GetRawText()).Append('\n');
                    text.Append("Why: ").Append(call.PolicyReason).Append('\n');
                    text.Append("Approve: ").Append(callLinks.ApproveUri).Append('\n');
                    text.Append("Reject:  ").Append(callLinks.RejectUri).Append("\n\n");
                }
            }
            else if (delivery.CallId is { } callId && delivery.Approval.FindCall(callId) is { } decided)
            {
                text.Append(decided.ToolName).Append(": ").Append(decided.Decision).Append(" by ").Append(decided.DecidedBy).Append('\n');
            }

            string file = Path.Combine(folder, $"{delivery.Approval.Id}-{delivery.Kind}{(delivery.IsEscalation ? "-escalated" : "")}-{Safe(recipient)}.txt");
            await File.WriteAllTextAsync(file, text.ToString(), cancellationToken);
        }
    }

    private static string Safe(string text) => string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));
}
