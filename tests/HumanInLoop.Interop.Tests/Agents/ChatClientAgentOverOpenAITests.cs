using System.ClientModel;
using System.Text.Json;
using HumanInLoop.Interop.Tests.Wire;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using OpenAI;

namespace HumanInLoop.Interop.Tests.Agents;

/// <summary>
/// The whole stack an agent lives in: <see cref="ChatClientAgent"/> over function invocation, the gate and the real OpenAI
/// client, against chat completions on loopback; paused in one "process", resumed and continued in another.
/// </summary>
public sealed class ChatClientAgentOverOpenAITests : IAsyncLifetime
{
    private FakeOpenAIServer Server { get; } = new();
    private readonly Bank _bank = new();

    public Task InitializeAsync() => Server.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PausedInOneProcess_ResumedAndContinuedInAnother_TransferRunsOnce_EveryRequestValid(bool streaming)
    {
        // Process A: the agent pauses; the host saves the session and tells an approver.
        (ChatClientAgent agentA, _) = CreateAgent();
        AgentSession sessionA = await agentA.CreateSessionAsync();
        await agentA.RunAsync("hello", sessionA, RunOptions());
        PendingApproval pending = Assert.IsType<PendingApprovalException>(await CaptureAsync(agentA, sessionA, "balance and transfer 500 to bob", streaming)).Approval;
        JsonElement savedSession = await agentA.SerializeSessionAsync(sessionA);
        await _bank.ApproveAsync(pending, BankScript.TransferId);

        // Process B: a new client, pipeline and agent; the session and the approval come from storage.
        (ChatClientAgent agentB, IChatClient pipelineB) = CreateAgent();
        AgentSession sessionB = await agentB.DeserializeSessionAsync(savedSession);
        Turn resumed = await Turn.ResumeAsync(_bank.Approvals, pending.Id, pipelineB, new ChatOptions { Tools = _bank.Tools }, streaming);
        Assert.Null(resumed.Error);
        sessionB.SetInMemoryChatHistory([.. resumed.Conversation!]);
        AgentResponse next = await agentB.RunAsync("hello", sessionB, RunOptions());

        Assert.Equal("Hello, how can I help?", next.Text);
        Assert.Equal(("bob", 500m), _bank.Transfers.Select(t => (t.To, t.Amount)).Single());
        Assert.Equal(1, _bank.BalanceChecks);
        Assert.Equal(
            ["user", "assistant", "user", "assistant", "tool", "tool", "assistant", "user"],
            Server.Requests[^1].Messages.Select(m => m.Role));
        Assert.Equal([BankScript.BalanceId, BankScript.TransferId], Server.Requests[^1].Messages.Where(m => m.Role == "tool").Select(m => m.ToolCallId));
        Assert.Empty(Server.Violations);
    }

    private static ChatClientAgentRunOptions RunOptions() => new(new ChatOptions().WithCallerContext(Bank.Context));

    private (ChatClientAgent Agent, IChatClient Pipeline) CreateAgent()
    {
        IChatClient model = new OpenAI.Chat.ChatClient("gpt-4o-mini", new ApiKeyCredential("test"), new OpenAIClientOptions { Endpoint = new Uri(Server.Address, "/v1") }).AsIChatClient();
        IChatClient pipeline = _bank.Pipeline(model);
        return (pipeline.AsAIAgent(new ChatClientAgentOptions { ChatOptions = new ChatOptions { Tools = _bank.Tools } }), pipeline);
    }

    private static async Task<Exception?> CaptureAsync(ChatClientAgent agent, AgentSession session, string text, bool streaming)
    {
        try
        {
            if (streaming)
            {
                await foreach (AgentResponseUpdate update in agent.RunStreamingAsync(text, session, RunOptions()))
                {
                    Assert.DoesNotContain(update.Contents, c => c is FunctionCallContent);
                }
            }
            else
            {
                await agent.RunAsync(text, session, RunOptions());
            }

            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }
}
