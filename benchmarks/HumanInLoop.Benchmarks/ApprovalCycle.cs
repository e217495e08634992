using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// One whole approval, hold → read → decide → resume → the model answers, by HumanInLoop over a given store, and the same by
/// Microsoft.Extensions.AI's own approval flow over a given save and load: the flows of <see cref="FullCycleBenchmarks"/>, shared by
/// the durable-write floor benchmark and the <c>capture</c> mode.
/// </summary>
public sealed class ApprovalCycle
{
    public const string ConversationId = "conv-bench";
    public const string Answer = "Done: 500 sent to bob.";
    private static readonly Approver Manager = new("manager");
    private static readonly Dictionary<string, object?> TransferArguments = new() { ["to"] = "bob", ["amount"] = 500 };
    private readonly List<ChatMessage> _input;
    private readonly ApprovalService _approvals;
    private readonly IChatClient _hil;
    private readonly ChatOptions _hilOptions;
    private readonly IChatClient _meai;
    private readonly ChatOptions _meaiOptions;
    private readonly bool _sameConversation;
    private int _conversations;

    /// <summary>Initializes a new instance of the <see cref="ApprovalCycle"/> class over a conversation of <paramref name="messages"/> messages.</summary>
    /// <param name="store">HumanInLoop's store.</param>
    /// <param name="messages">The length of the held conversation.</param>
    /// <param name="sameConversation">
    /// Whether every approval is held in the same conversation (<see cref="ConversationId"/>): the gate's retry guard then lists and
    /// reads every earlier approval of that conversation at each hold. By default each approval has a conversation of its own, as
    /// each run of Microsoft's flow does.
    /// </param>
    public ApprovalCycle(IStateStore store, int messages, bool sameConversation = false)
    {
        _sameConversation = sameConversation;
        // The input is one message shorter than the saved history, which ends with the assistant message holding the call.
        _input = BenchmarkHistory.Create(messages - 1, "Transfer 500 to bob.");
        AIFunction transfer = AIFunctionFactory.Create((string to, decimal amount) =>
        {
            Transfers++;
            return $"Sent {amount} to {to}.";
        }, "transfer", "Sends money.");
        _meai = new ChatClientBuilder(CreateModel()).UseFunctionInvocation().Build();
        _meaiOptions = new ChatOptions { Tools = [new ApprovalRequiredAIFunction(transfer)] };
        _hilOptions = new ChatOptions { Tools = ApprovalService.ProtectTools(transfer) }
            .WithCallerContext(new CallerContext { ConversationId = ConversationId, UserId = "carol" });
        _approvals = new ApprovalService(store, new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") } });
        _hil = new ChatClientBuilder(CreateModel()).UseFunctionInvocation().UseApprovalGate(_approvals).Build();
    }

    /// <summary>Gets how many times the transfer ran.</summary>
    public int Transfers { get; private set; }

    /// <summary>HumanInLoop: the gate holds the call, the approver's screen reads it, the approver decides, the app resumes.</summary>
    /// <param name="step">Told the name of each step before it starts (for the recorder), or <see langword="null"/>.</param>
    public async Task<string> HumanInLoopAsync(Action<string>? step = null)
    {
        string id;
        if (!_sameConversation)
        {
            _hilOptions.WithCallerContext(new CallerContext { ConversationId = $"{ConversationId}-{++_conversations}", UserId = "carol" });
        }

        step?.Invoke("hold");
        try
        {
            await _hil.GetResponseAsync(_input, _hilOptions);
            throw new InvalidOperationException("The gate did not pause.");
        }
        catch (PendingApprovalException pause)
        {
            id = pause.Approval.Id;
        }

        step?.Invoke("read");
        PendingApproval shown = await _approvals.GetAsync(id);
        step?.Invoke("decide");
        await _approvals.DecideAsync(id, shown.Calls[0].CallId, ApprovalDecision.Approve(Manager), default);
        step?.Invoke("resume");
        ResumeResult resumed = await _approvals.ResumeAsync(id, _hil, _hilOptions);
        return resumed.Response.Messages[^1].Text;
    }

    /// <summary>
    /// Microsoft.Extensions.AI: function invocation returns the approval request; the conversation is saved (one write) and loaded
    /// (one read) as JSON; the request is answered and the conversation sent again, so that the call runs and the model answers.
    /// </summary>
    public async Task<string> MicrosoftAsync(Func<string, string, Task> save, Func<string, Task<string>> load)
    {
        List<ChatMessage> conversation = [.. _input];
        ChatResponse paused = await _meai.GetResponseAsync(conversation, _meaiOptions);
        conversation.AddRange(paused.Messages);
        string id = Guid.NewGuid().ToString("N");
        await save(id, JsonSerializer.Serialize(conversation, AIJsonUtilities.DefaultOptions));
        List<ChatMessage> loaded = JsonSerializer.Deserialize<List<ChatMessage>>(await load(id), AIJsonUtilities.DefaultOptions)!;
        ToolApprovalRequestContent request = loaded[^1].Contents.OfType<ToolApprovalRequestContent>().Single();
        loaded.Add(new ChatMessage(ChatRole.User, [request.CreateResponse(approved: true)]));
        ChatResponse answer = await _meai.GetResponseAsync(loaded, _meaiOptions);
        return answer.Messages[^1].Text;
    }

    /// <summary>The model: asks for the transfer, and once it sees the tool's result, answers.</summary>
    private static CannedChatClient CreateModel() => new(messages => CannedChatClient.EndsWithToolResults(messages)
        ? new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer))
        : new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call-{messages.Count}", "transfer", TransferArguments)])));
}
