using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace HumanInLoop.Notifications.Internal;

/// <summary>Plain-text pieces shared by the channels and the link pages. Everything from the model is treated as untrusted text.</summary>
internal static class ApprovalText
{
    private static readonly JsonSerializerOptions s_indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The arguments, indented, cut to <paramref name="maxLength"/> characters.</summary>
    public static string Arguments(JsonElement arguments, int maxLength = 2000) =>
        Truncate(JsonSerializer.Serialize(arguments, s_indented), maxLength);

    /// <summary>
    /// The text with every character a reader cannot see written as <c>\uXXXX</c>: bidi overrides and isolates (which make
    /// "exe.png" read "gnp.exe"), zero-width and other format characters (also the invisible "tag" letters), control
    /// characters other than line breaks and tabs, line/paragraph separators and lone surrogates. What the approver reads is
    /// then what the model wrote.
    /// </summary>
    public static string Visible(string text)
    {
        int first = 0;
        while (first < text.Length && !Hidden(text, first, out _))
        {
            first += char.IsSurrogatePair(text, first) ? 2 : 1;
        }

        if (first == text.Length)
        {
            return text;
        }

        StringBuilder visible = new(text.Length + 16);
        visible.Append(text, 0, first);
        for (int i = first; i < text.Length;)
        {
            bool hidden = Hidden(text, i, out int length);
            for (int unit = i; unit < i + length; unit++)
            {
                if (hidden)
                {
                    visible.Append(CultureInfo.InvariantCulture, $"\\u{(int)text[unit]:X4}");
                }
                else
                {
                    visible.Append(text[unit]);
                }
            }

            i += length;
        }

        return visible.ToString();
    }

    private static bool Hidden(string text, int index, out int length)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(index), out Rune rune, out length) != System.Buffers.OperationStatus.Done)
        {
            length = 1;
            return true; // a lone surrogate
        }

        return rune.Value is not ('\n' or '\r' or '\t') && Rune.GetUnicodeCategory(rune) is
            UnicodeCategory.Format or UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
    }

    /// <summary>Where to answer in place of the tool, which links and buttons do not offer (they carry no free text).</summary>
    public const string RespondInInbox = "To answer in place of the tool with a result of your own, use the approvals inbox.";

    public static string Truncate(string? text, int maxLength)
    {
        text ??= "";
        return text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength - 1), "…");
    }

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>One line saying what happened, for announcements.</summary>
    public static string Announcement(ApprovalDelivery delivery)
    {
        PendingApproval approval = delivery.Approval;
        switch (delivery.Kind)
        {
            case ApprovalNotificationKind.Decided when delivery.CallId is { } callId && approval.FindCall(callId) is { Decision: CallDecisionStatus.AwaitingApproval } waiting:
                CallSignOff? latest = waiting.SignOffs.Count > 0 ? waiting.SignOffs[^1] : null;
                return $"{latest?.ApproverId ?? "someone"} approved {waiting.ToolName} (call {waiting.CallId}) of approval {approval.Id}: " +
                    $"{waiting.SignOffs.Count} of {waiting.RequiredApprovals} approvals; it waits for another person.";
            case ApprovalNotificationKind.Decided when delivery.CallId is { } callId && approval.FindCall(callId) is { } call:
                string verb = call.Decision switch
                {
                    CallDecisionStatus.Rejected => "rejected",
                    CallDecisionStatus.Responded => "answered in place of the tool",
                    _ => call.ApprovedArguments is null ? "approved" : "approved with edited arguments",
                };
                string reason = string.IsNullOrWhiteSpace(call.DecisionReason) ? "" : $" Reason: {call.DecisionReason}";
                return $"{call.DecidedBy ?? "someone"} {verb} {call.ToolName} (call {call.CallId}) of approval {approval.Id}.{reason}";
            case ApprovalNotificationKind.Expired:
                return $"Approval {approval.Id} expired undecided at {Time(approval.ExpiresAt)}; nothing of it ran ({ToolNames(approval)}).";
            case ApprovalNotificationKind.Cancelled:
                return $"Approval {approval.Id} was cancelled; nothing of it ran ({ToolNames(approval)}).";
            case ApprovalNotificationKind.InDoubt:
                return $"Approval {approval.Id} has calls interrupted while running ({ToolNames(approval)}); a person must check whether they took effect and reconcile them.";
            case ApprovalNotificationKind.Completed:
                return $"Approval {approval.Id} was resumed and completed.";
            default:
                return $"Approval {approval.Id} changed: {delivery.Kind}.";
        }
    }

    public static string Title(ApprovalDelivery delivery) => delivery.Kind switch
    {
        ApprovalNotificationKind.Pending when delivery.IsEscalation => "Escalated: approval needed before the deadline",
        ApprovalNotificationKind.Pending => "Approval needed",
        ApprovalNotificationKind.Escalated => "Escalated to you: approval needed",
        ApprovalNotificationKind.Decided => "Approval decided",
        ApprovalNotificationKind.Expired => "Approval expired",
        ApprovalNotificationKind.Cancelled => "Approval cancelled",
        ApprovalNotificationKind.InDoubt => "Approval needs reconciliation",
        ApprovalNotificationKind.Completed => "Approval completed",
        _ => "Approval update",
    };

    /// <summary>Whether the message asks for a decision (with actions) rather than announcing: a request, or a policy's escalation.</summary>
    public static bool AsksForDecision(ApprovalDelivery delivery) => delivery.Kind is ApprovalNotificationKind.Pending or ApprovalNotificationKind.Escalated;

    /// <summary>The escalation groups of the calls still to decide, for an escalation's text.</summary>
    public static string EscalationGroup(ApprovalDelivery delivery) =>
        string.Join(", ", delivery.CallsToDecide.SelectMany(c => c.EscalationApprovers).Distinct(StringComparer.Ordinal).DefaultIfEmpty("the escalation group"));

    public static string ToolNames(PendingApproval approval) => string.Join(", ", approval.Calls.Select(c => c.ToolName).Distinct(StringComparer.Ordinal));
}
