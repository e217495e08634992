using HumanInLoop;
using Microsoft.Extensions.AI;

namespace BankingConsole.Tests;

/// <summary>Regressions for gaps of the core library found while building the sample (now fixed there).</summary>
public sealed class CoreLibraryRegressionTests
{
    /// <summary>
    /// When every call of a model response is denied by policy, the model must still read the denials and answer: the
    /// gate once marked them all handled (InformationalOnly), so FunctionInvokingChatClient found nothing to run and the
    /// caller got a response ending in a tool message. Denied calls are now answered through the protected tool.
    /// </summary>
    [Theory]
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
    /// A tool that returns a string gives the model that string when it runs at once; after a pause and resume the model
    /// must get the same string, not the stored JsonElement (which providers would send JSON-quoted).
    /// </summary>
    [Fact]
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
