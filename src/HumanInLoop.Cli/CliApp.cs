using System.CommandLine;
using HumanInLoop.Cli.Commands;

namespace HumanInLoop.Cli;

/// <summary>The <c>humaninloop</c> command line: builds the root command, and runs it over given writers (tests run it in-process).</summary>
internal static class CliApp
{
    public const string Description = """
        The operator's command line for HumanInLoop: the inbox of held tool calls, decisions, the automation report, replay of
        candidate policies, decision export, audit chain verification and standing grants, over the application's store
        (--sqlite PATH, or --postgres CONNSTR / HUMANINLOOP_POSTGRES). The identity given with --as is trusted: this tool is for
        operators who hold the database credentials.
        """;

    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand Build(CliSettings settings)
    {
        StoreConnection store = new();
        CommandRunner runner = new(store, settings);
        RootCommand root = new(Description + Environment.NewLine + ExitCodes.HelpTable);
        foreach (Option option in store.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(InboxCommands.Pending(runner));
        root.Subcommands.Add(InboxCommands.Show(runner));
        root.Subcommands.Add(DecisionCommands.Approve(runner));
        root.Subcommands.Add(DecisionCommands.Reject(runner));
        root.Subcommands.Add(ReportCommand.Create(runner));
        root.Subcommands.Add(ReplayCommand.Create(runner));
        root.Subcommands.Add(ExportCommand.Create(runner));
        root.Subcommands.Add(VerifyCommand.Create(runner));
        root.Subcommands.Add(GrantCommands.Create(runner));
        return root;
    }

    /// <summary>Parses and runs one command line; returns its exit code.</summary>
    public static Task<int> InvokeAsync(string[] args, CliSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ParseResult parse = Build(settings).Parse(args);
        return parse.InvokeAsync(new InvocationConfiguration { Output = settings.Output, Error = settings.Error }, cancellationToken);
    }
}
