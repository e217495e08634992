using System.CommandLine;
using Spectre.Console;

namespace HumanInLoop.Cli.Commands;

/// <summary>
/// <c>approve ID CALL</c> and <c>reject ID CALL</c>: record a person's decision through <see cref="ApprovalService.DecideAsync"/>,
/// so every rule kept in the record holds (who may decide, sign-offs, expiry, the audit chain). The application resumes the
/// approval afterwards; the command line runs no tool.
/// </summary>
internal static class DecisionCommands
{
    public static Command Approve(CommandRunner runner)
    {
        Option<string?> reason = new("--reason") { Description = "Why (kept in the audit trail)." };
        Option<bool> preventSelf = new("--prevent-self-approval")
        {
            Description = "Refuse when you are the user who started the conversation (set it when the application sets ApprovalOptions.PreventSelfApproval).",
        };
        return Decide(runner, "approve", "Approve one waiting call.", reason, preventSelf, (approver, text) => ApprovalDecision.Approve(approver, text));
    }

    public static Command Reject(CommandRunner runner)
    {
        Option<string?> reason = new("--reason") { Description = "Why (required; kept in the audit trail and shown to the model).", Required = true };
        return Decide(runner, "reject", "Reject one waiting call.", reason, null, (approver, text) => ApprovalDecision.Reject(approver, text!));
    }

    private static Command Decide(
        CommandRunner runner, string name, string description, Option<string?> reason, Option<bool>? preventSelf,
        Func<Approver, string?, ApprovalDecision> decision)
    {
        Argument<string> id = new("ID") { Description = "The approval id." };
        Argument<string> call = new("CALL") { Description = "The call id (see `show ID`)." };
        Option<string> who = CommonOptions.As();
        Option<string[]> roles = CommonOptions.Roles();
        Command command = new(name, description) { id, call, who, roles, reason };
        if (preventSelf is not null)
        {
            command.Options.Add(preventSelf);
        }

        command.Validators.Add(result =>
        {
            if (result.GetValue(reason) is { } text && string.IsNullOrWhiteSpace(text))
            {
                result.AddError("--reason must not be blank.");
            }
        });

        runner.Handle(
            command,
            async context =>
            {
                Approver approver = CommonOptions.Approver(context, who, roles);
                PendingApproval approval = await context.Approvals.DecideAsync(
                    context.Get(id), context.Get(call), decision(approver, context.Get(reason)), context.Cancellation);
                PendingToolCall decided = approval.FindCall(context.Get(call))!;
                if (context.Output.Json)
                {
                    context.Output.WriteJson(new { approvalId = approval.Id, approvalStatus = approval.Status, call = Views.Call(decided) });
                }
                else
                {
                    string waiting = decided.Decision == CallDecisionStatus.AwaitingApproval
                        ? $" ({decided.SignOffs.Count} of {decided.RequiredApprovals} sign-offs)"
                        : "";
                    context.Output.Console.MarkupLineInterpolated(
                        $"{decided.CallId} ({decided.ToolName}): {decided.Decision}{waiting}; approval {approval.Id} is {approval.Status}.");
                }

                return ExitCodes.Ok;
            },
            preventSelf is null ? null : (parse, options) => options.PreventSelfApproval = parse.GetValue(preventSelf));
        return command;
    }
}
