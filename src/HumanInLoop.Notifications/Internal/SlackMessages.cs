using System.Text.Json.Nodes;

namespace HumanInLoop.Notifications.Internal;

/// <summary>Builds Block Kit messages. Model-written text is escaped for mrkdwn (&amp;, &lt;, &gt;), so it cannot mention or link.</summary>
internal static class SlackMessages
{
    private const int MaxCallsShown = 10;

    public static JsonObject Build(ApprovalDelivery delivery)
    {
        string title = ApprovalText.Title(delivery);
        JsonArray blocks = [Header(title)];
        if (!ApprovalText.AsksForDecision(delivery))
        {
            string line = ApprovalText.Announcement(delivery);
            blocks.Add(Section(Escape(line)));
            return new JsonObject { ["text"] = Escape(ApprovalText.Truncate(line, 300)), ["blocks"] = blocks };
        }

        PendingApproval approval = delivery.Approval;
        if (delivery.Kind == ApprovalNotificationKind.Escalated)
        {
            blocks.Add(Section($"Nobody decided in time: escalated to {Escape(ApprovalText.EscalationGroup(delivery))}, who may now decide."));
        }

        int index = 0;
        foreach (PendingToolCall call in delivery.CallsToDecide.Take(MaxCallsShown))
        {
            string reason = string.IsNullOrWhiteSpace(call.PolicyReason) ? "" : "\n" + Escape(ApprovalText.Truncate(call.PolicyReason, 1000));
            blocks.Add(Section($"*{Escape(call.ToolName)}* (call `{Escape(call.CallId)}`){reason}"));
            blocks.Add(Section(CodeBlock(ApprovalText.Arguments(call.Arguments, 2500))));
            string value = new SlackActionValue(approval.Id, call.CallId, call.Fingerprint).Serialize();
            blocks.Add(new JsonObject
            {
                ["type"] = "actions",
                ["block_id"] = $"hil_call_{index++}",
                ["elements"] = new JsonArray
                {
                    Button("Approve", SlackActionValue.ApproveActionId, value, "primary", $"Approve {Escape(call.ToolName)} with the arguments shown?"),
                    Button("Reject", SlackActionValue.RejectActionId, value, "danger", null),
                },
            });
        }

        int hidden = delivery.CallsToDecide.Count - MaxCallsShown;
        string more = hidden > 0 ? $" · {hidden} more call(s) not shown" : "";
        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray { Mrkdwn($"Approval `{Escape(approval.Id)}` · decide before {ApprovalText.Time(approval.ExpiresAt)}{more} · {ApprovalText.RespondInInbox}") },
        });
        string tools = string.Join(", ", delivery.CallsToDecide.Select(c => c.ToolName).Distinct(StringComparer.Ordinal));
        return new JsonObject { ["text"] = Escape(ApprovalText.Truncate($"{title}: {tools}", 300)), ["blocks"] = blocks };
    }

    /// <summary>Model-written text for mrkdwn: characters a reader cannot see are shown as escapes, and &amp;, &lt;, &gt; escaped.</summary>
    public static string Escape(string text) => ApprovalText.Visible(text).Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>
    /// Model-written text in a ``` block it cannot leave: a zero-width space splits every pair of backticks, so no run of
    /// three (which would close the block and let the rest render as bold text and links) remains. It reads the same.
    /// </summary>
    public static string CodeBlock(string text) => "```" + Escape(text).Replace("``", "`\u200B`", StringComparison.Ordinal) + "```";

    private static JsonObject Header(string text) => new()
    {
        ["type"] = "header",
        ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = ApprovalText.Truncate(text, 150) },
    };

    private static JsonObject Section(string mrkdwn) => new() { ["type"] = "section", ["text"] = Mrkdwn(ApprovalText.Truncate(mrkdwn, 3000)) };

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text };

    private static JsonObject Button(string text, string actionId, string value, string style, string? confirm)
    {
        JsonObject button = new()
        {
            ["type"] = "button",
            ["text"] = PlainText(text),
            ["action_id"] = actionId,
            ["value"] = value,
            ["style"] = style,
        };
        if (confirm is not null)
        {
            button["confirm"] = new JsonObject
            {
                ["title"] = PlainText("Are you sure?"),
                ["text"] = Mrkdwn(ApprovalText.Truncate(confirm, 300)),
                ["confirm"] = PlainText(text),
                ["deny"] = PlainText("Cancel"),
            };
        }

        return button;
    }
}
