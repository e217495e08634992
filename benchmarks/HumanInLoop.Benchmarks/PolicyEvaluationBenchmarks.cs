using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// Policy evaluation with 1, 10 and 100 policies, measured through the gate (the library evaluates policies only there and in
/// decisions; the evaluator is internal): one allowed call per request, against the same pipeline without the gate. One policy
/// allows the call; the others cover other tools and answer NotApplicable, as most policies of a real application do for any one
/// call. The cost per policy is the difference between the rows, divided by the difference in policies.
/// </summary>
[MemoryDiagnoser]
public class PolicyEvaluationBenchmarks
{
    private static readonly Dictionary<string, object?> TransferArguments = new() { ["to"] = "bob", ["amount"] = 50m };
    private readonly List<ChatMessage> _input = [new(ChatRole.User, "Send 50 to Bob.")];
    private IChatClient _plain = null!;
    private IChatClient _gated = null!;
    private ChatOptions _plainOptions = null!;
    private ChatOptions _gatedOptions = null!;

    [Params(1, 10, 100)]
    public int Policies { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        int runs = 0;
        AIFunction transfer = AIFunctionFactory.Create((string to, decimal amount) =>
        {
            runs++;
            return "sent";
        }, "transfer");
        ApprovalOptions options = new();
        for (int i = 1; i < Policies; i++)
        {
            // Other tools, half by name alone and half by typed arguments: each is asked and says NotApplicable for this call.
            options.Policies.Add(i % 2 == 0
                ? ApprovalPolicy.RequireApproval($"tool_{i}", "Needs a person.")
                : ApprovalPolicy.RequireApprovalWhen<Transfer>($"tool_{i}", t => t.Amount > 100, "Large amounts need a person."));
        }

        // The policy that decides, the README's own: a transfer of at most 100 is allowed.
        options.Policies.Add(ApprovalPolicy.RequireApprovalWhen<Transfer>("transfer", t => t.Amount > 100, "Transfers over 100 need a person."));
        ApprovalService approvals = new(new InMemoryStateStore(), options);
        _plain = new ChatClientBuilder(CreateModel()).UseFunctionInvocation().Build();
        _gated = new ChatClientBuilder(CreateModel()).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        _plainOptions = new ChatOptions { Tools = [transfer] };
        _gatedOptions = new ChatOptions { Tools = ApprovalService.ProtectTools(transfer) };

        foreach (Func<Task<ChatResponse>> run in new Func<Task<ChatResponse>>[] { WithoutGate, WithGate })
        {
            int before = runs;
            ChatResponse response = await run();
            if (response.Text != "Sent." || runs != before + 1)
            {
                throw new InvalidOperationException($"Setup check failed: '{response.Text}', {runs - before} run(s).");
            }
        }
    }

    [Benchmark(Baseline = true, Description = "Without gate")]
    public Task<ChatResponse> WithoutGate() => _plain.GetResponseAsync(_input, _plainOptions);

    [Benchmark(Description = "With gate")]
    public Task<ChatResponse> WithGate() => _gated.GetResponseAsync(_input, _gatedOptions);

    private static CannedChatClient CreateModel() => new(messages => CannedChatClient.EndsWithToolResults(messages)
        ? new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sent."))
        : new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", "transfer", TransferArguments)])));

    public sealed record Transfer(string To, decimal Amount);
}
