using System.Reflection;
using HumanInLoop.Testing;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Interop.Tests.Agents;

/// <summary>The gate inside Microsoft's agent framework: a <see cref="ChatClientAgent"/> built on a pipeline with the gate.</summary>
public sealed class ChatClientAgentTests : IDisposable
{
    private const string Instructions = "You are a careful bank teller.";

    private readonly Bank _bank = new();
    private readonly ScriptedChatClient _model = new(Respond);
    private readonly List<ChatOptions?> _optionsSeen = [];

    /// <summary>The ways users put the gate under an agent.</summary>
    public enum Shape
    {
        /// <summary><c>new ChatClientBuilder(model).UseApprovalGate(a).Build().AsAIAgent(...)</c>: the agent adds function invocation, outside the gate.</summary>
        AgentAddsFunctionInvocation,

        /// <summary><c>...UseFunctionInvocation().UseApprovalGate(a).Build().AsAIAgent(...)</c>: the agent sees function invocation and adds none.</summary>
        PipelineWithFunctionInvocation,

        /// <summary>The same pipeline with <see cref="ChatClientAgentOptions.UseProvidedChatClientAsIs"/>: no agent decorators at all.</summary>
        PipelineAsIs,

        /// <summary>The same pipeline with <see cref="ChatClientAgentOptions.RequirePerServiceCallChatHistoryPersistence"/>: history saved after each model call.</summary>
        PerServiceCallPersistence,
    }

    public static TheoryData<Shape, bool> ShapesAndModes()
    {
        TheoryData<Shape, bool> data = [];
        foreach (Shape shape in Enum.GetValues<Shape>())
        {
            data.Add(shape, false);
            data.Add(shape, true);
        }

        return data;
    }

    private static ChatClientAgentRunOptions RunOptions => new(new ChatOptions().WithCallerContext(Bank.Context));

    public void Dispose() => _model.Dispose();

    [Theory]
    [InlineData(Shape.AgentAddsFunctionInvocation)]
    [InlineData(Shape.PipelineWithFunctionInvocation)]
    [InlineData(Shape.PipelineAsIs)]
    [InlineData(Shape.PerServiceCallPersistence)]
    public void Pipeline_GateSitsBetweenTheOneFunctionInvocationAndTheModel(Shape shape)
    {
        (ChatClientAgent agent, _) = CreateAgent(shape);

        List<IChatClient> chain = Chain(agent.ChatClient);

        Assert.Single(chain, c => c is FunctionInvokingChatClient);
        int invocation = chain.FindIndex(c => c is FunctionInvokingChatClient);
        int gate = chain.FindIndex(c => c is ApprovalGateChatClient);
        Assert.True(invocation < gate, string.Join(" -> ", chain.Select(c => c.GetType().Name)));
        Assert.Same(_model, chain[^1]);
    }

    [Theory]
    [MemberData(nameof(ShapesAndModes))]
    public async Task GatedCall_PausesTheRun_WithThePendingApproval_NothingRuns(Shape shape, bool streaming)
    {
        (ChatClientAgent agent, _) = CreateAgent(shape);
        AgentSession session = await agent.CreateSessionAsync();

        (Exception? error, string streamedText) = await RunAsync(agent, session, "balance and transfer 500 to bob", streaming);

        PendingApproval pending = Assert.IsType<PendingApprovalException>(error).Approval;
        Assert.Equal(["check_balance", "transfer"], pending.Calls.Select(c => c.ToolName));
        Assert.Equal(CallDecisionStatus.AwaitingApproval, pending.FindCall("c-tr")!.Decision);
        Assert.Equal(Bank.Context, pending.Context);
        Assert.Empty(_bank.Transfers);
        Assert.Equal(0, _bank.BalanceChecks);
        Assert.Single(_model.Requests);
        Assert.Equal(Instructions, _optionsSeen[0]?.Instructions);
        Assert.Equal(streaming ? "Sending it now." : "", streamedText);
    }

    [Theory]
    [MemberData(nameof(ShapesAndModes))]
    public async Task Approved_ResumeWithTheAgentsPipeline_RunsTransferOnce_AndTheSessionContinues(Shape shape, bool streaming)
    {
        (ChatClientAgent agent, IChatClient resumer) = CreateAgent(shape);
        AgentSession session = await agent.CreateSessionAsync();
        await agent.RunAsync("hello", session, RunOptions);
        (Exception? error, _) = await RunAsync(agent, session, "balance and transfer 500 to bob", streaming);
        PendingApproval pending = Assert.IsType<PendingApprovalException>(error).Approval;

        // The failed run left the session as it was; the approval holds the whole history the model saw.
        Assert.Equal(["user", "assistant"], History(session).Select(m => m.Role.Value));
        Assert.Equal(["user", "assistant", "user", "assistant"], pending.Messages.Select(m => m.Role.Value));
        await _bank.ApproveAsync(pending, "c-tr");

        // Resume through the same pipeline, with the agent's options (tools and instructions are never stored).
        Turn resumed = await Turn.ResumeAsync(_bank.Approvals, pending.Id, resumer, AgentChatOptions(), streaming);

        Assert.Null(resumed.Error);
        Assert.Equal(("bob", 500m), _bank.Transfers.Select(t => (t.To, t.Amount)).Single());
        Assert.Equal(1, _bank.BalanceChecks);
        Assert.Equal("Done. c-bal=1000; c-tr=sent 500 to bob", resumed.Response!.Text);
        Assert.Equal(Instructions, _optionsSeen[^1]?.Instructions);

        // Continue the agent's session from the resumed conversation.
        session.SetInMemoryChatHistory([.. resumed.Conversation!]);
        AgentResponse next = await agent.RunAsync("hello", session, RunOptions);

        Assert.Equal("Hello, how can I help?", next.Text);
        Assert.Equal(["user", "assistant", "user", "assistant", "tool", "assistant", "user"], _model.Requests[^1].Select(m => m.Role.Value));
        Assert.Single(_bank.Transfers);
        Assert.Equal(ApprovalStatus.Completed, Assert.IsType<ApprovalConflictException>(
            (await Turn.ResumeAsync(_bank.Approvals, pending.Id, resumer, AgentChatOptions(), streaming)).Error).Status);
        Assert.Single(_bank.Transfers);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rejected_ResumeTellsTheModel_TransferNeverRuns(bool streaming)
    {
        (ChatClientAgent agent, IChatClient resumer) = CreateAgent(Shape.AgentAddsFunctionInvocation);
        AgentSession session = await agent.CreateSessionAsync();
        PendingApproval pending = Assert.IsType<PendingApprovalException>((await RunAsync(agent, session, "balance and transfer 500 to bob", streaming)).Error).Approval;
        await _bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(Bank.Alice, "Bob is not a known payee"));

        Turn resumed = await Turn.ResumeAsync(_bank.Approvals, pending.Id, resumer, AgentChatOptions(), streaming);

        Assert.Null(resumed.Error);
        Assert.Empty(_bank.Transfers);
        Assert.Equal(1, _bank.BalanceChecks);
        Assert.Contains("Bob is not a known payee", resumed.Response!.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GateOutsideFunctionInvocation_TheRunFailsLoudly_BeforeTheModelIsCalled(bool streaming)
    {
        IChatClient wrong = new ChatClientBuilder(_model).UseApprovalGate(_bank.Approvals).UseFunctionInvocation().Build();
        ChatClientAgent agent = new(wrong, AgentOptions());
        AgentSession session = await agent.CreateSessionAsync();

        (Exception? error, _) = await RunAsync(agent, session, "balance and transfer 500 to bob", streaming);

        Assert.Contains("outside FunctionInvokingChatClient", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal);
        Assert.Empty(_model.Requests);
        Assert.Empty(_bank.Transfers);
    }

    [Fact]
    public async Task UnprotectedAgentTools_TheRunIsRefused_BeforeTheModelIsCalled()
    {
        ChatClientAgent agent = new ChatClientBuilder(_model).UseApprovalGate(_bank.Approvals)
            .BuildAIAgent(instructions: Instructions, tools: [_bank.Transfer, _bank.CheckBalance]);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            agent.RunAsync("balance and transfer 500 to bob", options: RunOptions));

        Assert.Contains("ProtectTools", error.Message, StringComparison.Ordinal);
        Assert.Empty(_model.Requests);
        Assert.Empty(_bank.Transfers);
    }

    [Fact]
    public async Task ResumeThroughTheAgentAsAChatClient_ToolsGivenTwice_FailsAfterTheTransfer_RetryWithThePipelineDoesNotRunItAgain()
    {
        (ChatClientAgent agent, IChatClient resumer) = CreateAgent(Shape.AgentAddsFunctionInvocation);
        AgentSession session = await agent.CreateSessionAsync();
        PendingApproval pending = Assert.IsType<PendingApprovalException>((await RunAsync(agent, session, "balance and transfer 500 to bob", false)).Error).Approval;
        await _bank.ApproveAsync(pending, "c-tr");

        // Resume must be given the tools to run the approved call; the agent adds its own again, and refuses the duplicates,
        // but only after the resume ran the calls.
#pragma warning disable MAAI001 // AsIChatClient is marked for evaluation; users reach for it all the same.
        IChatClient agentAsClient = agent.AsIChatClient(session);
#pragma warning restore MAAI001
        Turn failed = await Turn.ResumeAsync(_bank.Approvals, pending.Id, agentAsClient, AgentChatOptions(), streaming: false);

        Assert.Contains("Duplicate tool name", Assert.IsType<InvalidOperationException>(failed.Error).Message, StringComparison.Ordinal);
        Assert.Single(_bank.Transfers);
        PendingApproval released = await _bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Decided, released.Status);
        Assert.All(released.Calls, c => Assert.Equal(CallExecutionStatus.Succeeded, c.Execution));

        Turn retried = await Turn.ResumeAsync(_bank.Approvals, pending.Id, resumer, AgentChatOptions(), streaming: false);

        Assert.Null(retried.Error);
        Assert.Single(_bank.Transfers);
        Assert.Equal(1, _bank.BalanceChecks);
        Assert.Equal("Done. c-bal=1000; c-tr=sent 500 to bob", retried.Response!.Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PerServiceCallPersistence_ResumeThroughAgentChatClient_RefusedOutsideARun_RetryThroughThePipelineDoesNotRunAgain(bool streaming)
    {
        (ChatClientAgent agent, IChatClient pipeline) = CreateAgent(Shape.PerServiceCallPersistence);
        AgentSession session = await agent.CreateSessionAsync();
        PendingApproval pending = Assert.IsType<PendingApprovalException>((await RunAsync(agent, session, "balance and transfer 500 to bob", streaming)).Error).Approval;
        await _bank.ApproveAsync(pending, "c-tr");

        // With per-service-call persistence the agent's decorated client works only inside an agent run; the resume has run
        // the calls by the time the model is called, so it fails after them, and gives the claim back with their outcomes.
        Turn failed = await Turn.ResumeAsync(_bank.Approvals, pending.Id, agent.ChatClient, AgentChatOptions(), streaming);

        Assert.Contains("within the context of a running AIAgent", Assert.IsType<InvalidOperationException>(failed.Error).Message, StringComparison.Ordinal);
        Assert.Single(_bank.Transfers);
        Assert.Equal(ApprovalStatus.Decided, (await _bank.Approvals.GetAsync(pending.Id)).Status);

        Turn retried = await Turn.ResumeAsync(_bank.Approvals, pending.Id, pipeline, AgentChatOptions(), streaming);

        Assert.Null(retried.Error);
        Assert.Single(_bank.Transfers);
        Assert.Equal(1, _bank.BalanceChecks);
        Assert.Equal("Done. c-bal=1000; c-tr=sent 500 to bob", retried.Response!.Text);
    }

    private static ChatResponse Respond(IReadOnlyList<ChatMessage> messages)
    {
        if (messages[^1].Role == ChatRole.Tool)
        {
            IEnumerable<string> results = messages[^1].Contents.OfType<FunctionResultContent>().Select(r => $"{r.CallId}={r.Result}");
            return ScriptedChatClient.Text("Done. " + string.Join("; ", results));
        }

        return messages[^1].Text == "balance and transfer 500 to bob"
            ? ScriptedChatClient.TextAndCalls(
                "Sending it now.",
                ScriptedChatClient.Call("c-bal", "check_balance"),
                ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 500m }))
            : ScriptedChatClient.Text("Hello, how can I help?");
    }

    private ChatOptions AgentChatOptions() => new() { Instructions = Instructions, Tools = _bank.Tools };

    private ChatClientAgentOptions AgentOptions(Shape shape = Shape.PipelineWithFunctionInvocation) => new()
    {
        Name = "teller",
        ChatOptions = AgentChatOptions(),
        UseProvidedChatClientAsIs = shape == Shape.PipelineAsIs,
        RequirePerServiceCallChatHistoryPersistence = shape == Shape.PerServiceCallPersistence,
    };

    /// <summary>
    /// Builds the agent as users do, and returns with it the client to resume through: one with function invocation and the
    /// gate that works outside an agent run. That is the pipeline the user built, or <see cref="ChatClientAgent.ChatClient"/>
    /// when the agent added function invocation itself (the user's pipeline then has none).
    /// </summary>
    private (ChatClientAgent Agent, IChatClient Resumer) CreateAgent(Shape shape)
    {
        ChatClientBuilder builder = new(_model);
        builder = shape == Shape.AgentAddsFunctionInvocation ? builder : builder.UseFunctionInvocation();
        IChatClient pipeline = builder
            .UseApprovalGate(_bank.Approvals)
            .Use((messages, options, next, cancellationToken) =>
            {
                // Record the options each model call gets, just above the model.
                lock (_optionsSeen)
                {
                    _optionsSeen.Add(options);
                }

                return next(messages, options, cancellationToken);
            })
            .Build();
        ChatClientAgent agent = pipeline.AsAIAgent(AgentOptions(shape));
        return (agent, shape == Shape.AgentAddsFunctionInvocation ? agent.ChatClient : pipeline);
    }

    private static async Task<(Exception? Error, string StreamedText)> RunAsync(ChatClientAgent agent, AgentSession session, string text, bool streaming)
    {
        string streamed = "";
        try
        {
            if (streaming)
            {
                await foreach (AgentResponseUpdate update in agent.RunStreamingAsync(text, session, RunOptions))
                {
                    Assert.DoesNotContain(update.Contents, c => c is FunctionCallContent);
                    streamed += update.Text;
                }
            }
            else
            {
                await agent.RunAsync(text, session, RunOptions);
            }

            return (null, streamed);
        }
        catch (Exception exception)
        {
            return (exception, streamed);
        }
    }

    private static List<ChatMessage> History(AgentSession session) =>
        session.TryGetInMemoryChatHistory(out List<ChatMessage>? messages) ? messages! : [];

    /// <summary>The pipeline from the outside in, following each <see cref="DelegatingChatClient"/>'s inner client.</summary>
    private static List<IChatClient> Chain(IChatClient client)
    {
        PropertyInfo inner = typeof(DelegatingChatClient).GetProperty("InnerClient", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!;
        List<IChatClient> chain = [client];
        while (chain[^1] is DelegatingChatClient delegating && chain.Count < 32)
        {
            chain.Add((IChatClient)inner.GetValue(delegating)!);
        }

        return chain;
    }
}
