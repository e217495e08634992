using BankingConsole;
using HumanInLoop;
using HumanInLoop.Sqlite;
using Microsoft.Extensions.AI;

ConsoleSettings settings;
try
{
    settings = ConsoleSettings.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException exception)
{
    Console.WriteLine($"ERROR {exception.Message}");
    return 2;
}

if (settings.ShowHelp)
{
    Console.WriteLine(ConsoleSettings.Usage);
    return 0;
}

Directory.CreateDirectory(settings.DataDirectory);
Bank bank = await Bank.OpenAsync(Path.Combine(settings.DataDirectory, "bank.db"));
ApprovalService approvals = new(CreateStateStore(settings.DataDirectory), BankPolicies.CreateOptions(bank));
(IChatClient model, string modelName) = ChatModelFactory.Create(settings);
using (model)
{
    // A person at a terminal is asked on the spot; a script (standard input redirected) gets plain lines.
    IBankView view = Console.IsInputRedirected ? new ScriptView(Console.Out) : new TerminalView();
    await new BankingSession(bank, approvals, model, settings, view, Console.In).RunAsync(modelName);
}

return 0;

// Where approvals are kept: a SQLite file beside the bank, so that pending approvals survive a restart.
static IStateStore CreateStateStore(string dataDirectory) =>
    new SqliteStateStore($"Data Source={Path.Combine(dataDirectory, "approvals.db")}");
