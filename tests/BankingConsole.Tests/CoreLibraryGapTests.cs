using HumanInLoop;
using Microsoft.Extensions.AI;

namespace BankingConsole.Tests;

/// <summary>Behaviour of the core library found while building the sample, reported to its owner.</summary>
public sealed class CoreLibraryGapTests
{
    /// <summary>
    /// When every call of a model response is denied by policy, the gate marks them all handled (InformationalOnly) and adds
    /// the denials, so FunctionInvokingChatClient finds nothing to run and returns at once: the model never reads the
    /// denials and the caller gets a response ending in a tool message, with no answer. (With one allowed call beside the
    /// denied one, the model is asked again and does explain.) The sample works around it by sending the conversation once more.
    /// </summary>
    [Theory(Skip = "Core gap, reported: the model is not asked again when every call of a response is denied. Unskip when fixed.")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryCallDenied_ModelIsAskedAgain_AndExplains(bool streaming)
    {
        ApprovalService approvals = new(new InMemoryStateStore(), new ApprovalOptions { Policies = { ApprovalPolicy.Deny("wipe", "Never.") } });
        AIFunction wipe = AIFunctionFactory.Create(() => "wiped", "wipe");
        IChatClient pipeline = new ChatClientBuilder(new DenialExplainingModel()).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(wipe) };

        ChatResponse response = streaming
            ? await pipeline.GetStreamingResponseAsync("wipe it", options).ToChatResponseAsync()
            : await pipeline.GetResponseAsync("wipe it", options);

        Assert.Equal(ChatRole.Assistant, response.Messages[^1].Role);
        Assert.Contains("explained", response.Text, StringComparison.Ordinal);
    }

    /// <summary>
    /// A tool that returns a string gives the model that string when it runs at once, but after a pause and resume the
    /// model gets the stored JsonElement, which providers serialize as JSON: the OpenAI wire then carries
    /// <c>"\"sent 500 to bob\""</c> instead of <c>"sent 500 to bob"</c>. The same call should read the same either way.
    /// </summary>
    [Fact(Skip = "Core gap, reported: a resumed string result reaches the model JSON-quoted. Unskip when fixed.")]
    public async Task ResumedStringResult_ReachesTheModelAsTheSameText()
    {
        ApprovalService approvals = new(new InMemoryStateStore(), new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("send", "Always.") } });
        AIFunction send = AIFunctionFactory.Create(() => "sent 500 to bob", "send");
        ResultRecordingModel model = new();
        IChatClient pipeline = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(send) };
        PendingApprovalException pause = await Assert.ThrowsAsync<PendingApprovalException>(() => pipeline.GetResponseAsync("send it", options));
        await approvals.DecideAsync(pause.Approval.Id, "c1", ApprovalDecision.Approve(new Approver("teller")));

        await approvals.ResumeAsync(pause.Approval.Id, pipeline, options);

        Assert.Equal("sent 500 to bob", Assert.IsType<string>(model.LastResult));
    }

    private sealed class ResultRecordingModel : IChatClient
    {
        public object? LastResult { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            ChatMessage last = messages.Last();
            if (last.Role == ChatRole.Tool)
            {
                LastResult = last.Contents.OfType<FunctionResultContent>().Single().Result;
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "done")));
            }

            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "send")])));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class DenialExplainingModel : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(messages.Last().Role == ChatRole.Tool
                ? new ChatResponse(new ChatMessage(ChatRole.Assistant, "explained the denial"))
                : new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "wipe")])));

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (ChatResponseUpdate update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
