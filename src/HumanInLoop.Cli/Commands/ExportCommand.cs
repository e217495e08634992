using System.CommandLine;
using System.Globalization;

namespace HumanInLoop.Cli.Commands;

/// <summary><c>export</c>: the recorded decisions as JSON Lines (<see cref="ApprovalHistory.ExportAsync"/>), verifying each audit chain on the way.</summary>
internal static class ExportCommand
{
    public static Command Create(CommandRunner runner)
    {
        Option<string?> output = new("--out") { Description = "The file to write (replaced); default: standard output, with the summary on standard error.", HelpName = "FILE" };
        Option<string[]> drop = new("--drop-argument") { Description = "An argument field to leave out of every line, for privacy (repeat for several).", HelpName = "NAME" };
        Option<bool> heldOnly = new("--held-only") { Description = "Only calls a person was asked about (leave out calls the policies or a grant decided at once)." };
        Command command = new("export", "Write the recorded decisions as JSON Lines (one call per line). Exits 4 when an approval's audit chain breaks; the others are still written.")
        {
            output, drop, heldOnly,
        };
        CommonOptions.Window window = new(command);
        runner.Handle(command, async context =>
        {
            DecisionExportOptions options = new()
            {
                DropArguments = new HashSet<string>(context.Get(drop) ?? [], StringComparer.Ordinal),
                IncludeAutomated = !context.Get(heldOnly),
            };
            string? path = context.Get(output);
            DecisionExportResult result;
            await using (FileStream? file = path is null ? null : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true))
            {
                result = await context.Output.WithProgressAsync("Exporting", async describe =>
                {
                    await using ExportSink sink = new(file, file is null ? context.Output.Writer : null, lines =>
                    {
                        if (lines % 1000 == 0)
                        {
                            describe($"Exported {lines.ToString("N0", CultureInfo.InvariantCulture)} calls");
                        }
                    });
                    return await context.Approvals.History.ExportAsync(sink, window.Query(context), options, context.Cancellation);
                });
            }

            Summarize(context.Output, path, result);
            return result.ChainsIntact ? ExitCodes.Ok : ExitCodes.Integrity;
        });
        return command;
    }

    private static void Summarize(CliOutput output, string? path, DecisionExportResult result)
    {
        // With the lines on standard output, the summary goes to standard error so the output stays pure JSON Lines.
        TextWriter writer = path is null ? output.ErrorWriter : output.Writer;
        if (output.Json)
        {
            writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                new { exported = result.Exported, file = path, chainsIntact = result.ChainsIntact, unreadable = result.Unreadable }, CliOutput.JsonOptions).ReplaceLineEndings(" "));
            return;
        }

        writer.WriteLine($"Exported {result.Exported.ToString(CultureInfo.InvariantCulture)} calls{(path is null ? "" : $" to {path}")}.");
        foreach (UnreadableApproval broken in result.Unreadable)
        {
            writer.WriteLine($"Left out approval {broken.ApprovalId}: {broken.Problem}");
        }
    }
}
