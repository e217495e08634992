using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Testing;

/// <summary>A gate over a scripted model and a transfer tool, on a fake clock, to make approvals in every state.</summary>
public sealed class TransferBank
{
    /// <summary>Gets the time the fake clock starts at.</summary>
    public static DateTimeOffset Start { get; } = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private readonly IChatClient _client;
    private readonly AIFunction _transfer;

    /// <summary>Initializes a new instance of the <see cref="TransferBank"/> class over a store.</summary>
    public TransferBank(IStateStore store)
    {
        Approvals = new ApprovalService(store, new ApprovalOptions
        {
            TimeProvider = Time,
            DefaultExpiration = TimeSpan.FromHours(1),
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") },
        });
        ScriptedChatClient model = new(messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "zoë", ["amount"] = 500 })));
        _client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
        _transfer = AIFunctionFactory.Create((string to, decimal amount) => $"sent {amount} to {to}", "transfer", "Sends money.");
    }

    /// <summary>Gets the fake clock.</summary>
    public FakeTimeProvider Time { get; } = new(Start);

    /// <summary>Gets the approval service.</summary>
    public ApprovalService Approvals { get; }

    /// <summary>The options of a call in <paramref name="conversation"/>.</summary>
    public ChatOptions Options(string conversation) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(_transfer) }.WithCallerContext(new CallerContext { ConversationId = conversation, UserId = "carol" });

    /// <summary>Asks for a transfer, which pauses for approval; returns the approval id.</summary>
    public async Task<string> PauseAsync(string conversation, string text = "transfer 500 to zoë")
    {
        PendingApprovalException pause = await Assert.ThrowsAsync<PendingApprovalException>(
            () => _client.GetResponseAsync([new ChatMessage(ChatRole.User, text)], Options(conversation)));
        return pause.Approval.Id;
    }

    /// <summary>Makes one approval in each state; the clock ends a minute after the last.</summary>
    public async Task<(string Completed, string Cancelled, string Expired, string Pending, string Decided)> MakeOneOfEachAsync()
    {
        Approver alice = new("alice");
        string expired = await PauseAsync("c-expired");
        Time.Advance(TimeSpan.FromHours(2));
        await Assert.ThrowsAsync<ApprovalExpiredException>(() => Approvals.DecideAsync(expired, "c-tr", ApprovalDecision.Approve(alice)));

        string completed = await PauseAsync("c-completed");
        await Approvals.DecideAsync(completed, "c-tr", ApprovalDecision.Approve(alice));
        await Approvals.ResumeAsync(completed, _client, Options("c-completed"));

        string cancelled = await PauseAsync("c-cancelled");
        await Approvals.CancelAsync(cancelled, alice, "Not needed.");

        string decided = await PauseAsync("c-decided");
        await Approvals.DecideAsync(decided, "c-tr", ApprovalDecision.Reject(alice, "No."));
        string pending = await PauseAsync("c-pending");
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(ApprovalStatus.Expired, (await Approvals.GetAsync(expired)).Status);
        Assert.Equal(ApprovalStatus.Completed, (await Approvals.GetAsync(completed)).Status);
        Assert.Equal(ApprovalStatus.Cancelled, (await Approvals.GetAsync(cancelled)).Status);
        return (completed, cancelled, expired, pending, decided);
    }
}
