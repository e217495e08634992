using HumanInLoop;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <summary>
/// The console's loop: reads requests and commands, sends requests to the assistant (tool calling or router), shows what
/// waits for approval, records people's decisions and resumes. The gate itself is the library's: this class only calls
/// <see cref="ApprovalService"/> and the <see cref="IChatClient"/> pipeline.
/// </summary>
/// <remarks>Not thread-safe: one session reads one input.</remarks>
internal sealed partial class BankingSession
{
    private const string ToolInstructions =
        $"You are the assistant of {Bank.CustomerAccount}, a customer of a small bank. Use the tools to check balances, deposit into " +
        $"{Bank.CustomerAccount}'s account and transfer from it. Amounts are in dollars. Transfers over $100 wait for a person's approval: " +
        "that is decided outside of you, so just make the call. Never claim that money moved unless a tool result says so. Answer in one or two short sentences.";

    private const string RouterInstructions =
        $"You turn requests of {Bank.CustomerAccount}, a customer of a small bank, into a plan of actions: check_balance (account, or null for " +
        $"{Bank.CustomerAccount}'s own), deposit (amount, into {Bank.CustomerAccount}'s account) and transfer (to, amount, from {Bank.CustomerAccount}'s account). " +
        "Amounts are in dollars. Do not judge whether an action needs approval: the bank's rules decide. " +
        "When the request is unclear or asks for something else, return no actions and a short reply.";

    private readonly Bank _bank;
    private readonly BankRules _rules;
    private readonly ApprovalService _approvals;
    private readonly IChatClient _model;
    private readonly IChatClient _pipeline;
    private readonly IList<AITool> _tools;
    private readonly CallerContext _context;
    private readonly ChatOptions _chatOptions;
    private readonly ConsoleSettings _settings;
    private readonly Approver _approver;
    private readonly IBankView _view;
    private readonly TextReader _input;
    private readonly List<ChatMessage> _history = [];
    private string? _lastShown;

    public BankingSession(
        Bank bank, IReadOnlyList<AIFunction> tools, ApprovalService approvals, BankRules rules, IChatClient model, ConsoleSettings settings, IBankView view, TextReader input)
    {
        _bank = bank;
        _rules = rules;
        _approvals = approvals;
        _model = model;
        _settings = settings;
        _view = view;
        _input = input;
        _approver = new Approver(settings.Approver);

        // Method 2: function invocation outside, the approval gate between it and the model, so it sees every call first.
        _pipeline = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals).Build();

        // Protected tools run only for calls the gate allowed or a resume runs; the same tools serve the router's plans.
        _tools = ApprovalService.ProtectTools(tools);
        _context = new CallerContext { UserId = Bank.CustomerAccount, ConversationId = $"console-{Guid.NewGuid():N}" };
        _chatOptions = new ChatOptions { Instructions = ToolInstructions, Tools = _tools }.WithCallerContext(_context);
    }

    /// <summary>Lists what is unfinished, then reads commands until the input ends or <c>quit</c>.</summary>
    public async Task RunAsync(string modelName, CancellationToken cancellationToken = default)
    {
        // Approvals whose deadline passed while the program was not running are recorded as expired, not offered.
        await _approvals.ExpireDueAsync(cancellationToken);
        _view.Ready(_settings.Mode, modelName, _settings.DataDirectory, _approver.Id);
        if (_view.IsInteractive)
        {
            _view.Balances(await _bank.GetBalancesAsync(cancellationToken));
        }

        await RunCommandAsync("start", () => ListUnfinishedAsync(cancellationToken));
        while (true)
        {
            _view.Prompt($"{Bank.CustomerAccount}> ");
            string? line = await _input.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                return;
            }

            if (!string.IsNullOrWhiteSpace(line) && !await ExecuteAsync(line, cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>Runs one line; returns <see langword="false"/> after <c>quit</c>.</summary>
    private async Task<bool> ExecuteAsync(string line, CancellationToken cancellationToken)
    {
        (string command, string rest) = SessionCommands.Split(line) switch
        {
            { } known => known,

            // A person may just type the request; a script says what it means.
            null when _view.IsInteractive => ("say", line.Trim()),
            null => ("unknown", line.Trim()),
        };
        if (command is "quit" or "exit")
        {
            _view.Done("quit");
            return false;
        }

        await RunCommandAsync(command, command switch
        {
            "say" => () => SayAsync(rest, cancellationToken),
            "approve" => () => DecideCommandAsync(rest, approve: true, cancellationToken),
            "reject" => () => DecideCommandAsync(rest, approve: false, cancellationToken),
            "respond" => () => RespondCommandAsync(rest, cancellationToken),
            "later" => () => LaterAsync(rest, cancellationToken),
            "pending" => () => ListUnfinishedAsync(cancellationToken),
            "resume" => () => ResumeCommandAsync(rest, cancellationToken),
            "report" => () => ReportAsync(cancellationToken),
            "replay" => () => ReplayAsync(rest, cancellationToken),
            "grants" => () => GrantsAsync(cancellationToken),
            "revoke" => () => RevokeAsync(rest, cancellationToken),
            "balances" => async () => _view.Balances(await _bank.GetBalancesAsync(cancellationToken)),
            "ledger" => async () => _view.Ledger(await _bank.GetLedgerAsync(cancellationToken)),
            "help" => () =>
            {
                _view.Help();
                return Task.CompletedTask;
            },
            _ => () => throw new CommandException(
                $"Unknown command '{rest.Split(' ')[0]}'. Commands: say <text>, approve <id> [callId], reject <id> [callId] <reason>, respond <id> [callId] <text>, later, pending, resume <id>, report, replay [current], grants, revoke <grantId> <reason>, balances, ledger, help, quit."),
        });
        return true;
    }

    /// <summary>Runs a command and ends it with exactly one OK or ERROR, whatever happens inside.</summary>
    private async Task RunCommandAsync(string command, Func<Task> run)
    {
        try
        {
            await run();
            _view.Done(command);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            // The console reports every failure (a refused decision, a network error) and goes on with the next command.
            _view.Error(exception is CommandException or ApprovalException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}");
        }
    }
}
