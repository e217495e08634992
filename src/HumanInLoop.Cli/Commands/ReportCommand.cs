using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace HumanInLoop.Cli.Commands;

/// <summary><c>report</c>: how far the team has automated (<see cref="ApprovalHistory.ReportAsync"/>), in total, per tool, per policy and per version of the rules.</summary>
internal static class ReportCommand
{
    public static Command Create(CommandRunner runner)
    {
        Command command = new("report", "Count what became of the recorded calls: allowed, denied, by grant, sent to a person and how people decided; time to decision; shadow agreement.");
        CommonOptions.Window window = new(command);
        runner.Handle(command, async context =>
        {
            AutomationReport report = await context.Approvals.History.ReportAsync(window.Query(context), context.Cancellation);
            if (context.Output.Json)
            {
                context.Output.WriteJson(report);
                return ExitCodes.Ok;
            }

            IAnsiConsole console = context.Output.Console;
            Table table = new Table().AddColumns("", "Seen", "Allowed", "Denied", "By grant", "To a person", "Approved", "Edited", "Rejected", "Expired", "Waiting", "Automated", "Median", "P90");
            AddRow(table, "[bold]Total[/]", report.Total);
            foreach ((string tool, AutomationFigures figures) in report.ByTool.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                AddRow(table, "tool " + Markup.Escape(tool), figures);
            }

            foreach ((string policy, AutomationFigures figures) in report.ByPolicy.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                AddRow(table, "policy " + Markup.Escape(policy), figures);
            }

            foreach ((string version, AutomationFigures figures) in report.ByPolicyVersion.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                AddRow(table, "version " + Markup.Escape(version), figures);
            }

            console.Write(table);
            ShadowAgreement shadow = report.Shadow;
            if (shadow.Compared > 0)
            {
                console.MarkupLineInterpolated(
                    $"Shadow policies agreed on {shadow.Agreed} of {shadow.Compared} calls ({CommonOptions.Percent(shadow.AgreementRate)}); {shadow.Errors} shadow errors.");
                foreach ((string pair, long count) in shadow.Disagreements.OrderByDescending(p => p.Value))
                {
                    console.MarkupLineInterpolated($"  {pair}: {count}");
                }
            }

            foreach (string id in report.UnreadableApprovals)
            {
                context.Output.Warn($"approval '{id}' cannot be read and is not counted (run `verify`).");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static void AddRow(Table table, string label, AutomationFigures f)
    {
        static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
        table.AddRow(
            label, N(f.Seen), N(f.Allowed), N(f.Denied), N(f.AllowedByGrant), N(f.SentToPerson), N(f.Approved), N(f.Edited), N(f.Rejected),
            N(f.Expired), N(f.Awaiting), CommonOptions.Percent(f.AutomationRate), CommonOptions.Duration(f.MedianTimeToDecision),
            CommonOptions.Duration(f.P90TimeToDecision));
    }
}
