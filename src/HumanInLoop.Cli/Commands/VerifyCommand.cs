using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace HumanInLoop.Cli.Commands;

/// <summary>
/// <c>verify</c>: reads every approval in the store as the service does (seal, index row, audit chain) and reports each one that
/// does not hold, with the reason the library gives. Exits 4 when any breaks.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CommandRunner runner)
    {
        Command command = new("verify", "Check the audit chain (and seal, with --integrity-key-env) of every approval; exits 4 when any does not hold.");
        runner.Handle(command, async context =>
        {
            (long checkedCount, List<UnreadableApproval> breaks) = await context.Output.WithProgressAsync("Verifying", async describe =>
            {
                long count = 0;
                List<UnreadableApproval> broken = [];
                StateQuery query = new() { PageSize = 500 };
                do
                {
                    ApprovalPage page = await context.Approvals.ListAsync(query, context.Cancellation);
                    count += page.Approvals.Count + page.UnreadableIds.Count;
                    foreach (string id in page.UnreadableIds)
                    {
                        broken.Add(new UnreadableApproval(id, await ProblemAsync(context, id)));
                    }

                    describe($"Verified {count.ToString("N0", CultureInfo.InvariantCulture)} approvals, {broken.Count} broken");
                    query = query with { ContinuationToken = page.ContinuationToken };
                }
                while (query.ContinuationToken is not null);
                return (count, broken);
            });

            if (context.Output.Json)
            {
                context.Output.WriteJson(new { @checked = checkedCount, intact = breaks.Count == 0, breaks });
            }
            else if (breaks.Count == 0)
            {
                context.Output.Console.WriteLine($"All {checkedCount.ToString(CultureInfo.InvariantCulture)} approvals hold.");
            }
            else
            {
                Table table = CommonOptions.Table(1, "Approval", "Problem").Title($"{breaks.Count} of {checkedCount} approvals do not hold");
                foreach (UnreadableApproval broken in breaks)
                {
                    table.AddRow(Markup.Escape(broken.ApprovalId), Markup.Escape(broken.Problem));
                }

                context.Output.Console.Write(table);
            }

            return breaks.Count == 0 ? ExitCodes.Ok : ExitCodes.Integrity;
        });
        return command;
    }

    private static async Task<string> ProblemAsync(CommandContext context, string approvalId)
    {
        try
        {
            await context.Approvals.GetAsync(approvalId, context.Cancellation);
            return "Could not be read while listing, but reads now (changed in between?).";
        }
        catch (Exception exception) when (exception is ApprovalIntegrityException or ApprovalStateFormatException or ApprovalNotFoundException)
        {
            return exception.Message;
        }
    }
}
