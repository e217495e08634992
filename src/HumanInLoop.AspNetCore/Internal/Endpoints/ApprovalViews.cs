using System.Text;
using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>Builds the views the endpoints return from stored approvals.</summary>
internal static class ApprovalViews
{
    /// <param name="approval">The approval.</param>
    /// <param name="viewer">Who looks at it.</param>
    /// <param name="excerptMessages">How many of the last messages to show.</param>
    /// <param name="excerptMaxLength">The longest text shown per message.</param>
    /// <param name="conversationOf">
    /// The same approval as read with its conversation, for an <paramref name="approval"/> a decision returned (read without it): a
    /// conversation never changes after the hold.
    /// </param>
    public static ApprovalView Create(PendingApproval approval, Approver? viewer, int excerptMessages, int excerptMaxLength, PendingApproval? conversationOf = null) => new()
    {
        Id = approval.Id,
        Status = approval.Status.ToString(),
        ConversationId = approval.Context.ConversationId,
        RequestedBy = approval.Context.UserId,
        TenantId = approval.Context.TenantId,
        CreatedAt = approval.CreatedAt,
        ExpiresAt = approval.ExpiresAt,
        UpdatedAt = approval.UpdatedAt,
        Calls = Calls(approval, viewer),
        Excerpt = Excerpt(conversationOf ?? approval, excerptMessages, excerptMaxLength),
        NextApprovalId = approval.NextApprovalId,
    };

    public static IReadOnlyList<ApprovalCallView> Calls(PendingApproval approval, Approver? viewer) =>
        [.. approval.Calls.Select(call => new ApprovalCallView
        {
            CallId = call.CallId,
            ToolName = call.ToolName,
            Arguments = call.Arguments,
            Fingerprint = call.Fingerprint,
            Decision = call.Decision.ToString(),
            AwaitingApproval = call.Decision == CallDecisionStatus.AwaitingApproval,
            PolicyReason = call.PolicyReason,
            Approvers = call.Approvers,
            RequiredApprovals = call.RequiredApprovals,
            ApprovedBy = [.. call.SignOffs.Select(a => a.ApproverId)],
            DecidedBy = call.DecidedBy,
            DecidedAt = call.DecidedAt,
            DecisionReason = call.DecisionReason,
            ApprovedArguments = call.ApprovedArguments,
            Response = call.Decision == CallDecisionStatus.Responded ? call.Result : null,
            Execution = call.Execution.ToString(),
            CanDecide = CanDecide(approval, call, viewer),
        })];

    /// <summary>
    /// Whether <paramref name="viewer"/> may decide <paramref name="call"/> now, as far as the stored approval tells: the one rule
    /// behind every <c>canDecide</c> (the inbox, one approval, and the SSE <c>approval_required</c> event of a chat or a resume).
    /// The approval is open, the call waits, the viewer is one of its approvers (by id or role; nobody when its policies name no
    /// common approver, as the decision refuses), of its tenant when the viewer has one (the core answers another tenant's approval
    /// as not found), and has not signed it off already. <see langword="false"/> without a viewer.
    /// </summary>
    public static bool CanDecide(PendingApproval approval, PendingToolCall call, Approver? viewer) =>
        viewer is not null && approval.Status == ApprovalStatus.Pending && call.Decision == CallDecisionStatus.AwaitingApproval &&
        (viewer.TenantId is null || string.Equals(viewer.TenantId, approval.Context.TenantId, StringComparison.Ordinal)) &&
        !call.Approvers.Contains(NoCommonApprover, StringComparer.Ordinal) && viewer.IsAnyOf(call.Approvers) &&
        !call.SignOffs.Any(a => string.Equals(a.ApproverId, viewer.Id, StringComparison.Ordinal));

    /// <summary>What the core writes in a call's approvers when its policies name none in common (nobody may decide).</summary>
    private const string NoCommonApprover = "\u0000no-common-approver";

    private static List<ConversationExcerptEntry> Excerpt(PendingApproval approval, int count, int maxLength)
    {
        if (count == 0)
        {
            return [];
        }

        IReadOnlyList<ChatMessage> messages;
        try
        {
            messages = approval.Messages; // built from the stored JSON on first use
        }
        catch (ApprovalStateFormatException)
        {
            // The calls and their arguments, which are what is decided, were read; resuming will refuse this history.
            return [new ConversationExcerptEntry(ChatRole.System.Value, "The conversation of this approval cannot be read.")];
        }

        List<ConversationExcerptEntry> entries = [];
        foreach (ChatMessage message in messages.Skip(Math.Max(0, messages.Count - count)))
        {
            string text = Describe(message);
            if (text.Length > maxLength)
            {
                text = string.Concat(text.AsSpan(0, maxLength - 1), "…");
            }

            if (text.Length > 0)
            {
                entries.Add(new ConversationExcerptEntry(message.Role.Value, text));
            }
        }

        return entries;
    }

    private static string Describe(ChatMessage message)
    {
        StringBuilder text = new();
        foreach (AIContent content in message.Contents)
        {
            string? part = content switch
            {
                TextContent t => t.Text,
                FunctionCallContent call => $"[calls {call.Name}]",
                FunctionResultContent result => $"[result of {result.CallId}: {result.Result}]",
                _ => null,
            };
            if (!string.IsNullOrEmpty(part))
            {
                text.Append(text.Length > 0 ? " " : "").Append(part);
            }
        }

        return text.ToString();
    }
}
