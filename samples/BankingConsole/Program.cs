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
BankRules rules;
try
{
    rules = BankRules.Load(new BankTools(bank).All);
}
catch (Exception exception) when (exception is Microsoft.Extensions.Options.OptionsValidationException or HumanInLoop.Rules.ApprovalRulesException)
{
    Console.WriteLine($"ERROR the approval rules are not valid: {exception.Message}");
    return 2;
}

using BankRules rulesInForce = rules;
ApprovalOptions options = BankPolicies.CreateOptions(bank, rules);
if (Environment.GetEnvironmentVariable("BANKINGCONSOLE_EXECUTION_LEASE_SECONDS") is { Length: > 0 } lease)
{
    // For the crash tests: how soon another run may take over a resume that died (default 5 minutes).
    options.ExecutionLease = TimeSpan.FromSeconds(double.Parse(lease, System.Globalization.CultureInfo.InvariantCulture));
}

ApprovalService approvals = new(CreateStateStore(settings.DataDirectory), options);
IReadOnlyList<AIFunction> tools = KillAfterToolFunction.Apply(new BankTools(bank).All, Environment.GetEnvironmentVariable(KillAfterToolFunction.VariableName));
(IChatClient model, string modelName) = ChatModelFactory.Create(settings);
using (model)
{
    // A person at a terminal is asked on the spot; a script (standard input redirected) gets plain lines. The demo types
    // for a person, so it gets the person's display.
    IBankView view = Console.IsInputRedirected && !settings.Demo ? new ScriptView(Console.Out) : new TerminalView();
    TextReader input = settings.Demo ? new DemoScript(Console.Out) : Console.In;
    await new BankingSession(bank, tools, approvals, rules, model, settings, view, input).RunAsync(modelName);
}

return 0;

// Where approvals are kept: a SQLite file beside the bank, so that pending approvals survive a restart.
static IStateStore CreateStateStore(string dataDirectory) =>
    new SqliteStateStore($"Data Source={Path.Combine(dataDirectory, "approvals.db")}");
