using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace HumanInLoop.Cli.Commands;

/// <summary><c>replay --policies ASSEMBLY</c> or <c>replay --rules FILE --tools FILE</c>: what a candidate policy set would have done with the recorded calls (<see cref="ApprovalHistory.ReplayAsync"/>).</summary>
internal static class ReplayCommand
{
    public const string Convention = """
        The assembly must expose the candidate policies as a public static property, or a public static method without
        parameters, on a public type, whose type is assignable to IEnumerable<IApprovalPolicy>, e.g.
          public static class Candidates { public static IEnumerable<IApprovalPolicy> Policies => [ApprovalPolicy.Allow("transfer")]; }
        Exactly one such member, or name it with --member Namespace.Type.Member. Tools no candidate policy matches are put to a
        person (the library's default). Replay runs no tool and changes no record.
        """;

    public static Command Create(CommandRunner runner)
    {
        Option<string?> policies = new("--policies") { Description = "The .NET assembly (.dll) with the candidate policies.", HelpName = "ASSEMBLY" };
        Option<string?> rules = new("--rules") { Description = "A rule file (HumanInLoop.Rules JSON: Rules, optionally Label) with the candidate rules, instead of --policies.", HelpName = "FILE" };
        Option<string?> tools = new("--tools") { Description = "With --rules: the tools' names and JSON schemas the rules are checked against.", HelpName = "FILE" };
        Option<string?> member = new("--member") { Description = "The policy source to use when the assembly has several (Namespace.Type.Member)." };
        Option<int> maxListed = new("--max-listed") { Description = "How many calls each list keeps (the counts are always complete).", DefaultValueFactory = _ => 50 };
        Command command = new("replay", "Replay the recorded calls through candidate policies and list what they would have done differently." + Environment.NewLine + Convention +
            Environment.NewLine + "Or give a rule file: replay --rules what-if.json --tools tools.json (\"what if the limit were 500\" is one edit)." + Environment.NewLine + RuleFile.ToolsConvention)
        {
            policies, member, rules, tools, maxListed,
        };
        CommonOptions.Window window = new(command);
        runner.Handle(command, async context =>
        {
            IReadOnlyList<IApprovalPolicy> candidates = (context.Get(policies), context.Get(rules)) switch
            {
                ({ } assembly, null) => PolicyAssembly.Load(assembly, context.Get(member)),
                (null, { } file) => [RuleFile.Load(file, context.Get(tools))],
                _ => throw CliException.Usage("replay takes the candidates from --policies ASSEMBLY or from --rules FILE (with --tools FILE), one of the two."),
            };
            ReplayReport report = await context.Output.WithProgressAsync("Replaying", async describe =>
                await context.Approvals.History.ReplayAsync(
                    candidates, window.Query(context), new Progress(describe), Math.Clamp(context.Get(maxListed), 0, 100_000), context.Cancellation));
            if (context.Output.Json)
            {
                context.Output.WriteJson(report);
                return ExitCodes.Ok;
            }

            Write(context.Output.Console, report);
            foreach (string id in report.UnreadableApprovals)
            {
                context.Output.Warn($"approval '{id}' cannot be read and was not replayed (run `verify`).");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Write(IAnsiConsole console, ReplayReport report)
    {
        Grid summary = new Grid().AddColumns(2);
        summary.AddRow("Calls replayed", N(report.Calls));
        summary.AddRow("Would allow / ask / deny", $"{N(report.WouldAllow)} / {N(report.WouldRequireApproval)} / {N(report.WouldDeny)}");
        summary.AddRow("Automation", $"{CommonOptions.Percent(report.AutomationRate)} (recorded: {CommonOptions.Percent(report.RecordedAutomationRate)})");
        summary.AddRow("False approvals", N(report.FalseApprovalCount));
        summary.AddRow("Needless asks", N(report.NeedlessAskCount));
        summary.AddRow("Policy errors", N(report.ErrorCount));
        console.Write(summary);
        Findings(console, "Would allow, but a person rejected or edited", report.FalseApprovals);
        Findings(console, "Would still ask, though people approved", report.NeedlessAsks);
        Findings(console, "Would deny", report.Denials);
        Findings(console, "Candidate policy threw", report.Errors);
        if (report.AlwaysApprovedTools.Count > 0)
        {
            console.MarkupLineInterpolated($"Tools people always approved that the candidates still put to a person: {string.Join(", ", report.AlwaysApprovedTools)}");
        }
    }

    private static void Findings(IAnsiConsole console, string title, IReadOnlyList<ReplayFinding> findings)
    {
        if (findings.Count == 0)
        {
            return;
        }

        Table table = CommonOptions.Table(1, "Call", "Tool", "Arguments", "Recorded", "By", "Person's reason", "Candidate", "Candidate's reason").Title(Markup.Escape(title));
        foreach (ReplayFinding finding in findings)
        {
            RecordedCall call = finding.Call;
            table.AddRow(
                Markup.Escape(call.Id), Markup.Escape(call.ToolName), Markup.Escape(CommonOptions.Arguments(call.Arguments)), call.Outcome.ToString(),
                Markup.Escape(call.DecidedBy ?? ""), Markup.Escape(call.DecisionReason ?? ""),
                Markup.Escape($"{finding.Candidate.Kind} {string.Join(", ", finding.Candidate.Policies)}".Trim()),
                Markup.Escape(finding.Candidate.Error ?? finding.Candidate.Reason ?? ""));
        }

        console.Write(table);
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Reports synchronously on the replaying thread (unlike <see cref="Progress{T}"/>, which posts), so the bar follows the work.</summary>
    private sealed class Progress(Action<string> describe) : IProgress<ReplayProgress>
    {
        public void Report(ReplayProgress value) =>
            describe($"Replayed {value.Replayed.ToString("N0", CultureInfo.InvariantCulture)} calls, {value.FalseApprovals.ToString("N0", CultureInfo.InvariantCulture)} false approvals");
    }
}
