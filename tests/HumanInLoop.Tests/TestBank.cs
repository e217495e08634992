using System.Collections.Concurrent;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

public sealed record TransferArgs(string To, decimal Amount);

/// <summary>A tiny bank whose tools count what they did, plus a gate pipeline over a scripted model.</summary>
public sealed class TestBank
{
    public TestBank(ApprovalOptions? options = null, IStateStore? store = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null, ManualClock? time = null)
    {
        Time = time ?? new ManualClock(Start);
        Options = options ?? DefaultOptions();
        Options.TimeProvider = Time;
        Store = store ?? new InMemoryStateStore();
        Approvals = new ApprovalService(Store, Options, loggerFactory);
        Model = new ScriptedChatClient(DefaultScript);
        Client = new ChatClientBuilder(Model).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
        Transfer = AIFunctionFactory.Create(TransferCore, "transfer", "Sends money.");
        CheckBalance = AIFunctionFactory.Create(() => { Interlocked.Increment(ref _balanceChecks); return Balance; }, "check_balance", "Reads the balance.");
        Deposit = AIFunctionFactory.Create((decimal amount) => { Balance += amount; return Balance; }, "deposit", "Deposits money.");
        DeleteAccount = AIFunctionFactory.Create(() => { Interlocked.Increment(ref _deletes); return "deleted"; }, "delete_account", "Deletes the account.");
    }

    private int _balanceChecks;
    private int _deletes;

    /// <summary>Gets when the bank's fake clock starts.</summary>
    public static DateTimeOffset Start { get; } = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    public ManualClock Time { get; }
    public ApprovalOptions Options { get; }
    public IStateStore Store { get; }
    public ApprovalService Approvals { get; }
    public ScriptedChatClient Model { get; }
    public IChatClient Client { get; }
    public AIFunction Transfer { get; }
    public AIFunction CheckBalance { get; }
    public AIFunction Deposit { get; }
    public AIFunction DeleteAccount { get; }
    public decimal Balance { get; set; } = 1000m;
    public ConcurrentQueue<(string To, decimal Amount, string? IdempotencyKey, int? Attempt)> Transfers { get; } = new();
    public int BalanceChecks => _balanceChecks;
    public int Deletes => _deletes;

    /// <summary>Runs inside the transfer tool before it records the transfer (to block, fail or observe).</summary>
    public Func<Task>? BeforeTransfer { get; set; }

    public static Approver Alice { get; } = new("alice", ["approver"]);
    public static Approver Bob { get; } = new("bob");

    public static ApprovalOptions DefaultOptions() => new()
    {
        Policies =
        {
            ApprovalPolicy.Allow("check_balance", "deposit"),
            ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 100, "Transfers over $100 need a person."),
            ApprovalPolicy.Deny("delete_account", "Accounts are never deleted by the assistant."),
        },
    };

    public ChatOptions ChatOptions(string conversationId = "conv-1", string userId = "carol") =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(Transfer, CheckBalance, Deposit, DeleteAccount) }
            .WithCallerContext(new CallerContext { ConversationId = conversationId, UserId = userId, TenantId = "t1" });

    public static FunctionCallContent TransferCall(string callId, string to, decimal amount) =>
        ScriptedChatClient.Call(callId, "transfer", new Dictionary<string, object?> { ["to"] = to, ["amount"] = amount });

    /// <summary>
    /// The default script, a function of the history only: "transfer N to X" calls transfer; "balance and transfer N to X"
    /// calls both in one response; "delete" calls delete_account and check_balance ("only delete", delete_account alone); after tool results it reports them.
    /// </summary>
    public static ChatResponse DefaultScript(IReadOnlyList<ChatMessage> messages)
    {
        ChatMessage last = messages[^1];
        if (last.Role == ChatRole.Tool)
        {
            IEnumerable<string> results = messages.Reverse().TakeWhile(m => m.Role == ChatRole.Tool)
                .SelectMany(m => m.Contents.OfType<FunctionResultContent>()).Select(r => $"{r.CallId}={r.Result}");
            return ScriptedChatClient.Text("Done. " + string.Join("; ", results));
        }

        string text = last.Text.ToLowerInvariant();
        string[] words = text.Split(' ');
        if (text.StartsWith("balance and transfer", StringComparison.Ordinal))
        {
            return ScriptedChatClient.Calls(ScriptedChatClient.Call("c-bal", "check_balance"), TransferCall("c-tr", words[^1], decimal.Parse(words[3], System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (text.StartsWith("transfer", StringComparison.Ordinal))
        {
            return ScriptedChatClient.TextAndCalls("Sending it now.", TransferCall("c-tr", words[^1], decimal.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (text.StartsWith("only delete", StringComparison.Ordinal))
        {
            return ScriptedChatClient.Calls(ScriptedChatClient.Call("c-del", "delete_account"));
        }

        if (text.StartsWith("delete", StringComparison.Ordinal))
        {
            return ScriptedChatClient.Calls(ScriptedChatClient.Call("c-del", "delete_account"), ScriptedChatClient.Call("c-bal", "check_balance"));
        }

        if (text.StartsWith("balance", StringComparison.Ordinal))
        {
            return ScriptedChatClient.Calls(ScriptedChatClient.Call("c-bal", "check_balance"));
        }

        return ScriptedChatClient.Text("Hello, how can I help?");
    }

    private async Task<string> TransferCore(string to, decimal amount)
    {
        if (BeforeTransfer is { } before)
        {
            await before();
        }

        ApprovedCall? current = ApprovedCall.Current;
        Transfers.Enqueue((to, amount, current?.IdempotencyKey, current?.Attempt));
        Balance -= amount;
        return $"sent {amount} to {to}";
    }

    /// <summary>Sends one user message, streaming or not; returns the response or the pause, with every update the caller saw.</summary>
    public async Task<Outcome> SendAsync(string text, bool streaming, ChatOptions? options = null)
    {
        options ??= ChatOptions();
        List<ChatMessage> messages = [new(ChatRole.User, text)];
        return await Outcome.CaptureAsync(Client, messages, options, streaming);
    }
}

public sealed class Outcome
{
    public ChatResponse? Response { get; private init; }
    public Exception? Error { get; private init; }
    public List<ChatResponseUpdate> Updates { get; } = [];
    public PendingApproval Pending => Assert.IsType<PendingApprovalException>(Error).Approval;

    public static async Task<Outcome> CaptureAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions options, bool streaming)
    {
        if (!streaming)
        {
            try
            {
                return new Outcome { Response = await client.GetResponseAsync(messages, options) };
            }
            catch (Exception exception)
            {
                return new Outcome { Error = exception };
            }
        }

        List<ChatResponseUpdate> updates = [];
        try
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(messages, options))
            {
                updates.Add(update);
            }

            Outcome done = new() { Response = updates.ToChatResponse() };
            done.Updates.AddRange(updates);
            return done;
        }
        catch (Exception exception)
        {
            Outcome failed = new() { Error = exception };
            failed.Updates.AddRange(updates);
            return failed;
        }
    }
}
