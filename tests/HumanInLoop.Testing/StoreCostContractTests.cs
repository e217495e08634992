using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Testing;

/// <summary>
/// What one whole approval costs in store calls, step by step (issue 18, "no wasted writes or reads"): exactly one durable write
/// per state change, and no read that the step does not need. Each store's tests inherit this class and supply a fresh, empty
/// store; the SQLite and PostgreSQL stores run it against a real file and server, so the counts hold for them too
/// (the table is in docs/stores.md).
/// </summary>
public abstract class StoreCostContractTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly Approver Alice = new("alice", ["approver"]);

    /// <summary>Creates a new, empty store (a new file, schema or database per call) that keeps call records and grants.</summary>
    protected abstract Task<IStateStore> CreateStoreAsync();

    /// <summary>How many bytes the storage of <paramref name="store"/> has written so far, when the test can see it (SQLite: its write-ahead log).</summary>
    protected virtual Func<long>? DiskBytes(IStateStore store) => null;

    private sealed class Bank
    {
        public Bank(CountingStore store)
        {
            Store = store;
            Approvals = new ApprovalService(store, new ApprovalOptions
            {
                TimeProvider = new FakeTimeProvider(Start),
                DefaultExpiration = TimeSpan.FromDays(1),
                Policies = { ApprovalPolicy.RequireApproval("transfer", "Money moves.") },
            });
            Client = new ChatClientBuilder(new ScriptedChatClient(Script)).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
            Options = new ChatOptions
            {
                Tools = ApprovalService.ProtectTools(AIFunctionFactory.Create((string to) => { Ran++; return "sent to " + to; }, "transfer")),
            }.WithCallerContext(new CallerContext { ConversationId = "conv-carol", UserId = "carol", TenantId = "t1" });
        }

        public CountingStore Store { get; }
        public ApprovalService Approvals { get; }
        public IChatClient Client { get; }
        public ChatOptions Options { get; }
        public int Ran { get; private set; }

        private static ChatResponse Script(IReadOnlyList<ChatMessage> messages) => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "bob" }));

        /// <summary>The conversation so far: <paramref name="earlier"/> messages before the one that asks for the transfer.</summary>
        public static List<ChatMessage> Conversation(int earlier)
        {
            List<ChatMessage> messages = [];
            for (int i = 0; i < earlier; i++)
            {
                messages.Add(new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, $"Message {i} of an earlier part of the conversation, long enough to count."));
            }

            messages.Add(new ChatMessage(ChatRole.User, "send bob his money"));
            return messages;
        }

        /// <summary>Runs one whole approval, each step named in the store's record: hold, read, decide, resume.</summary>
        public async Task RunAsync(int earlier, bool streaming)
        {
            Store.Step = "hold";
            PendingApproval held = (await Assert.ThrowsAsync<PendingApprovalException>(() => Client.GetResponseAsync(Conversation(earlier), Options))).Approval;

            Store.Step = "read";
            PendingApproval read = await Approvals.GetAsync(held.Id);
            Assert.Equal(earlier + 2, read.Messages.Count); // what the approver sees: the conversation, and the call

            Store.Step = "decide";
            await Approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Approve(Alice));

            Store.Step = "resume";
            if (streaming)
            {
                List<ChatResponseUpdate> updates = [];
                await foreach (ChatResponseUpdate update in Approvals.ResumeStreamingAsync(held.Id, Client, Options))
                {
                    updates.Add(update);
                }

                Assert.Equal("done", updates.ToChatResponse().Text);
            }
            else
            {
                Assert.Equal("done", (await Approvals.ResumeAsync(held.Id, Client, Options)).Response.Text);
            }

            Store.Step = "";
            Assert.Equal(1, Ran);
            Assert.Equal(ApprovalStatus.Completed, (await Approvals.GetAsync(held.Id)).Status);
        }
    }

    private async Task<Bank> NewBankAsync()
    {
        IStateStore store = await CreateStoreAsync();
        return new(new CountingStore(store, DiskBytes(store)));
    }

    private static string[] Shown(IEnumerable<StoreCall> calls) => [.. calls.Select(c => c.ToString())];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WholeApproval_EachStep_WritesOncePerStateChange_AndReadsOnlyWhatItNeeds(bool streaming)
    {
        Bank bank = await NewBankAsync();

        await bank.RunAsync(earlier: 10, streaming);

        // The hold: one look for a standing grant (none), one for earlier decisions on the conversation's calls (the retry guard;
        // none, so no conversation comes back), then one create carrying the conversation, written once for good.
        Assert.Equal(["ListGrants", "List", "Create Pending +conversation"], Shown(bank.Store.In("hold")));
        // The approver reads it, with the conversation (what they are asked to judge).
        Assert.Equal(["Get Pending +conversation"], Shown(bank.Store.In("read")));
        // The decision: one read without the conversation (it judges calls, not messages), one compare-and-swap.
        Assert.Equal(["Get Pending", "Update Decided"], Shown(bank.Store.In("decide")));
        // The resume: one read (the model is sent the conversation), then the claim, the call's start, its outcome and the end;
        // no write carries the conversation again.
        Assert.Equal(
            ["Get Decided +conversation", "Update Executing", "Update Executing", "Update Executing", "Update Completed"],
            Shown(bank.Store.In("resume")));

        Assert.Equal(6, bank.Store.Calls.Count(c => c.Step != "" && c.IsApprovalWrite));
        Assert.Equal(4, bank.Store.Calls.Count(c => c.Step != "" && c.IsApprovalRead));
        // Only the two steps that need the conversation read it: the approver's screen and the resume.
        Assert.Equal(2, bank.Store.Calls.Count(c => c.Step != "" && c.IsApprovalRead && c.WithConversation));
    }

    [Fact]
    public async Task WholeApproval_BytesWrittenPerStep_DoNotGrowWithTheConversation()
    {
        Bank small = await NewBankAsync();
        await small.RunAsync(earlier: 10, streaming: false);
        Bank large = await NewBankAsync();
        await large.RunAsync(earlier: 1_000, streaming: false);

        StoreCall[] smallWrites = [.. small.Store.Calls.Where(c => c.IsApprovalWrite)];
        StoreCall[] largeWrites = [.. large.Store.Calls.Where(c => c.IsApprovalWrite)];
        Assert.Equal(Shown(smallWrites), Shown(largeWrites));
        string seen = string.Join("; ", smallWrites.Zip(largeWrites, (s, l) => $"{s}: {s.Bytes}/{l.Bytes} chars, {s.DiskBytes}/{l.DiskBytes} disk"));

        // The hold writes the conversation, once: the measure sees it grow with the conversation.
        Assert.True(largeWrites[0].Bytes > smallWrites[0].Bytes + (990 * 60), seen);
        Assert.True(!large.Store.MeasuresDisk || largeWrites[0].DiskBytes > smallWrites[0].DiskBytes + (990 * 60), seen);

        // Every later change writes the record alone: what the store is asked to write, and what it wrote, is the same at
        // 1,000 messages as at 10 (the conversation is never written again). The record carries the conversation's length (so that it
        // can be read without it), a number: its digits, and nothing else of the conversation, differ.
        int digits = Digits(largeWrites[0].ConversationChars) - Digits(smallWrites[0].ConversationChars);
        Assert.True(digits is > 0 and <= 3, seen);
        for (int i = 1; i < smallWrites.Length; i++)
        {
            Assert.False(largeWrites[i].WithConversation, seen);
            Assert.True(largeWrites[i].Bytes == smallWrites[i].Bytes + digits, seen);
            Assert.True(largeWrites[i].DiskBytes <= smallWrites[i].DiskBytes + DiskSlack, seen);
        }
    }

    [Fact]
    public async Task RepeatedCall_RetryGuard_ReadsEarlierApprovalsWithoutTheirConversation()
    {
        Bank bank = await NewBankAsync();
        PendingApproval held = (await Assert.ThrowsAsync<PendingApprovalException>(() => bank.Client.GetResponseAsync(Bank.Conversation(1_000), bank.Options))).Approval;
        await bank.Approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Reject(Alice, "not today"));

        // The model asks for the same transfer again: the guard lists the conversation's approvals and reads the rejection, and
        // neither read brings a conversation back (1,000 messages each), only the records it compares.
        bank.Store.Step = "repeat";
        await bank.Client.GetResponseAsync(Bank.Conversation(1_000), bank.Options);

        Assert.Equal(["ListGrants", "List", "Get Decided"], Shown(bank.Store.In("repeat").Where(c => c.Kind is "ListGrants" or "List" or "Get")));
        Assert.Equal(0, bank.Ran);
    }

    private static int Digits(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;

    /// <summary>How much more one write may grow the storage at 1,000 messages than at 10 (a page of SQLite's log: 4,096 bytes and its frame header).</summary>
    private const long DiskSlack = 4096 + 24;
}
