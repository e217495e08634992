using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// What the approval gate adds to a request on the hot path, against the same pipeline without it (the baseline of each category):
/// a model response with no tool call, and one with a call the policies allow (function invocation runs a trivial tool, then the
/// model answers in text), each streaming and not. The model is a <see cref="CannedChatClient"/>, so only the pipeline is measured.
/// </summary>
/// <remarks>
/// The pipelines are the library's own shape: <c>new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals)</c>
/// with the tools passed through <see cref="ApprovalService.ProtectTools"/>, against <c>UseFunctionInvocation()</c> alone with the
/// bare tools, which is what an application without HumanInLoop runs.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GateOverheadBenchmarks
{
    private const string NoCall = "No call";
    private const string AllowedCall = "One allowed call";
    private const string StreamingNoCall = "Streaming, no call";
    private const string StreamingAllowedCall = "Streaming, one allowed call";

    private static readonly Dictionary<string, object?> LookupArguments = new() { ["account"] = "ACC-1" };
    private readonly List<ChatMessage> _noCallInput = [new(ChatRole.User, "What can you do?")];
    private readonly List<ChatMessage> _callInput = [new(ChatRole.User, "What is the balance of ACC-1?")];
    private int _toolRuns;
    private IChatClient _plain = null!;
    private IChatClient _gated = null!;
    private ChatOptions _plainOptions = null!;
    private ChatOptions _gatedOptions = null!;

    /// <summary>Gets or sets whether the gate records each call it decides (the default, as shipped); the allocation profile turns it off to show its share.</summary>
    public bool RecordCalls { get; set; } = true;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        AIFunction lookup = AIFunctionFactory.Create((string account) =>
        {
            _toolRuns++;
            return "1,234.56 EUR";
        }, "lookup", "Reads the balance of an account.");
        ApprovalService approvals = new(new InMemoryStateStore(), new ApprovalOptions { Policies = { ApprovalPolicy.Allow("lookup") }, RecordCalls = RecordCalls });
        _plain = new ChatClientBuilder(CreateModel()).UseFunctionInvocation().Build();
        _gated = new ChatClientBuilder(CreateModel()).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        CallerContext context = new() { UserId = "carol", ConversationId = "c-42" };
        _plainOptions = new ChatOptions { Tools = [lookup] }.WithCallerContext(context);
        _gatedOptions = new ChatOptions { Tools = ApprovalService.ProtectTools(lookup) }.WithCallerContext(context);

        // Every benchmark must do what its name says, in both pipelines, before anything is timed.
        await ExpectAsync(PlainNoCall, GatedNoCall, "I can look up balances.", toolRuns: 0);
        await ExpectAsync(PlainAllowedCall, GatedAllowedCall, "The balance of ACC-1 is 1,234.56 EUR.", toolRuns: 1);
        await ExpectAsync(() => _plain.GetStreamingResponseAsync(_noCallInput, _plainOptions).ToChatResponseAsync(), () => _gated.GetStreamingResponseAsync(_noCallInput, _gatedOptions).ToChatResponseAsync(), "I can look up balances.", toolRuns: 0);
        await ExpectAsync(() => _plain.GetStreamingResponseAsync(_callInput, _plainOptions).ToChatResponseAsync(), () => _gated.GetStreamingResponseAsync(_callInput, _gatedOptions).ToChatResponseAsync(), "The balance of ACC-1 is 1,234.56 EUR.", toolRuns: 1);
    }

    [BenchmarkCategory(NoCall), Benchmark(Baseline = true, Description = "Without gate")]
    public Task<ChatResponse> PlainNoCall() => _plain.GetResponseAsync(_noCallInput, _plainOptions);

    [BenchmarkCategory(NoCall), Benchmark(Description = "With gate")]
    public Task<ChatResponse> GatedNoCall() => _gated.GetResponseAsync(_noCallInput, _gatedOptions);

    [BenchmarkCategory(AllowedCall), Benchmark(Baseline = true, Description = "Without gate")]
    public Task<ChatResponse> PlainAllowedCall() => _plain.GetResponseAsync(_callInput, _plainOptions);

    [BenchmarkCategory(AllowedCall), Benchmark(Description = "With gate")]
    public Task<ChatResponse> GatedAllowedCall() => _gated.GetResponseAsync(_callInput, _gatedOptions);

    [BenchmarkCategory(StreamingNoCall), Benchmark(Baseline = true, Description = "Without gate")]
    public Task<int> PlainStreamingNoCall() => CountAsync(_plain.GetStreamingResponseAsync(_noCallInput, _plainOptions));

    [BenchmarkCategory(StreamingNoCall), Benchmark(Description = "With gate")]
    public Task<int> GatedStreamingNoCall() => CountAsync(_gated.GetStreamingResponseAsync(_noCallInput, _gatedOptions));

    [BenchmarkCategory(StreamingAllowedCall), Benchmark(Baseline = true, Description = "Without gate")]
    public Task<int> PlainStreamingAllowedCall() => CountAsync(_plain.GetStreamingResponseAsync(_callInput, _plainOptions));

    [BenchmarkCategory(StreamingAllowedCall), Benchmark(Description = "With gate")]
    public Task<int> GatedStreamingAllowedCall() => CountAsync(_gated.GetStreamingResponseAsync(_callInput, _gatedOptions));

    /// <summary>
    /// The model: "What can you do?" gets a canned text (the same response object every time, as nothing downstream changes a
    /// response without calls); the balance question gets a fresh call to <c>lookup</c>, and the tool's result gets the answer.
    /// </summary>
    internal static CannedChatClient CreateModel()
    {
        ChatResponse capabilities = new(new ChatMessage(ChatRole.Assistant, "I can look up balances.")) { ResponseId = "r-0" };
        ChatResponseUpdate[] capabilityUpdates =
        [
            new(ChatRole.Assistant, "I can ") { MessageId = "m-0" },
            new(ChatRole.Assistant, "look up ") { MessageId = "m-0" },
            new(ChatRole.Assistant, "balances.") { MessageId = "m-0" },
        ];
        return new CannedChatClient(
            messages => messages[^1].Text == "What can you do?"
                ? capabilities
                : CannedChatClient.EndsWithToolResults(messages)
                    ? new ChatResponse(new ChatMessage(ChatRole.Assistant, "The balance of ACC-1 is 1,234.56 EUR.") { MessageId = "m-2" })
                    : new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", "lookup", LookupArguments)]) { MessageId = "m-1" }),
            messages => messages[^1].Text == "What can you do?"
                ? capabilityUpdates
                : CannedChatClient.EndsWithToolResults(messages)
                    ? [new(ChatRole.Assistant, "The balance of ACC-1 ") { MessageId = "m-2" }, new(ChatRole.Assistant, "is 1,234.56 EUR.") { MessageId = "m-2" }]
                    : [new(ChatRole.Assistant, [new FunctionCallContent("call-1", "lookup", LookupArguments)]) { MessageId = "m-1" }]);
    }

    private static async Task<int> CountAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        int count = 0;
        await foreach (ChatResponseUpdate update in updates)
        {
            count++;
        }

        return count;
    }

    private async Task ExpectAsync(Func<Task<ChatResponse>> plain, Func<Task<ChatResponse>> gated, string text, int toolRuns)
    {
        foreach (Func<Task<ChatResponse>> run in new[] { plain, gated })
        {
            int before = _toolRuns;
            ChatResponse response = await run();
            if (response.Text != text || _toolRuns - before != toolRuns)
            {
                throw new InvalidOperationException($"Setup check failed: got '{response.Text}' with {_toolRuns - before} tool run(s); expected '{text}' with {toolRuns}.");
            }
        }
    }
}
