using System.CommandLine;
using Spectre.Console;

namespace HumanInLoop.Cli.Commands;

/// <summary><c>pending</c> (the inbox: every call waiting for a person) and <c>show ID</c> (one approval in full).</summary>
internal static class InboxCommands
{
    public static Command Pending(CommandRunner runner)
    {
        Option<string?> conversation = new("--conversation") { Description = "Only this conversation's approvals." };
        Option<string?> tenant = CommonOptions.Tenant();
        Command command = new("pending", "List the calls waiting for a person (newest approval first).") { conversation, tenant };
        runner.Handle(command, async context =>
        {
            List<PendingApproval> approvals = [];
            List<string> unreadable = [];
            StateQuery query = new() { Status = ApprovalStatus.Pending, ConversationId = context.Get(conversation), TenantId = context.Get(tenant), PageSize = 200 };
            do
            {
                ApprovalPage page = await context.Approvals.ListAsync(query, context.Cancellation);
                approvals.AddRange(page.Approvals);
                unreadable.AddRange(page.UnreadableIds);
                query = query with { ContinuationToken = page.ContinuationToken };
            }
            while (query.ContinuationToken is not null);

            Write(context.Output, approvals, unreadable);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Show(CommandRunner runner)
    {
        Argument<string> id = new("ID") { Description = "The approval id." };
        Command command = new("show", "Show one approval: its calls, their decisions and its audit trail.") { id };
        runner.Handle(command, async context =>
        {
            PendingApproval approval = await context.Approvals.GetAsync(context.Get(id), context.Cancellation);
            if (context.Output.Json)
            {
                context.Output.WriteJson(Views.Approval(approval, withAudit: true));
                return ExitCodes.Ok;
            }

            WriteApproval(context.Output.Console, approval);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Write(CliOutput output, List<PendingApproval> approvals, List<string> unreadable)
    {
        if (output.Json)
        {
            output.WriteJson(new { approvals = approvals.Select(a => Views.Approval(a, withAudit: false)), unreadable });
            return;
        }

        foreach (string id in unreadable)
        {
            output.Warn($"approval '{id}' cannot be read (run `verify`).");
        }

        if (approvals.Count == 0)
        {
            output.Console.WriteLine("No calls are waiting for a person.");
            return;
        }

        Table table = CommonOptions.Table(2, "Approval", "Call", "Tool", "Arguments", "Why", "User", "Tenant", "Created", "Expires");
        foreach (PendingApproval approval in approvals)
        {
            foreach (PendingToolCall call in approval.AwaitingApproval)
            {
                table.AddRow(
                    Markup.Escape(approval.Id), Markup.Escape(call.CallId), Markup.Escape(call.ToolName),
                    Markup.Escape(CommonOptions.Arguments(call.Arguments)), Markup.Escape(call.PolicyReason ?? ""),
                    Markup.Escape(approval.Context.UserId ?? ""), Markup.Escape(approval.Context.TenantId ?? ""),
                    CommonOptions.Time(approval.CreatedAt), CommonOptions.Time(approval.ExpiresAt));
            }
        }

        output.Console.Write(table);
    }

    private static void WriteApproval(IAnsiConsole console, PendingApproval approval)
    {
        Grid summary = new Grid().AddColumns(2);
        summary.AddRow("Approval", Markup.Escape(approval.Id));
        summary.AddRow("Status", approval.Status.ToString());
        summary.AddRow("Created", CommonOptions.Time(approval.CreatedAt));
        summary.AddRow("Expires", CommonOptions.Time(approval.ExpiresAt));
        summary.AddRow("User", Markup.Escape(approval.Context.UserId ?? ""));
        summary.AddRow("Tenant", Markup.Escape(approval.Context.TenantId ?? ""));
        summary.AddRow("Conversation", Markup.Escape(approval.Context.ConversationId ?? ""));
        console.Write(summary);

        Table calls = CommonOptions.Table(1, "Call", "Tool", "Arguments", "Decision", "By", "At", "Reason", "Policies", "Execution").Title("Calls");
        foreach (PendingToolCall call in approval.Calls)
        {
            calls.AddRow(
                Markup.Escape(call.CallId), Markup.Escape(call.ToolName), Markup.Escape(CommonOptions.Arguments(call.ArgumentsToRun)),
                call.Decision.ToString(), Markup.Escape(call.DecidedBy ?? ""), CommonOptions.Time(call.DecidedAt),
                Markup.Escape(call.DecisionReason ?? call.PolicyReason ?? ""), Markup.Escape(string.Join(", ", call.Policies)), call.Execution.ToString());
        }

        console.Write(calls);
        Table audit = CommonOptions.Table(0, "#", "Time", "Event", "Actor", "Call", "Reason").Title("Audit trail");
        foreach (ApprovalAuditEntry entry in approval.AuditTrail)
        {
            audit.AddRow(
                entry.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), CommonOptions.Time(entry.Timestamp), entry.Event.ToString(),
                Markup.Escape(entry.Actor), Markup.Escape(entry.CallId ?? ""), Markup.Escape(entry.Reason ?? ""));
        }

        console.Write(audit);
    }
}
