using System.Text.Json;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>
/// Live updates across app servers (issue 21, item 2): two hosts over one SQLite file, the console open on host A, approvals held
/// and decided through host B. Host A's clock is a fake one: the test moves it on by the poll interval while it waits for an event
/// (with a generous timeout); nothing asserts how long anything took.
/// </summary>
public sealed class ConsoleLiveAcrossServersTests : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly string _directory = Directory.CreateTempSubdirectory("hil-console-live-").FullName;
    private readonly string _connectionString;

    public ConsoleLiveAcrossServersTests() => _connectionString = $"Data Source={Path.Combine(_directory, "approvals.db")}";

    [Fact]
    public async Task Console_ApprovalHeldAndDecidedOnAnotherServer_ArrivesAsChangedEvents()
    {
        PollCountingStore store = new(new SqliteStateStore(_connectionString));
        await using ApprovalTestHost a = await ConsoleServerAsync(store);
        await using ApprovalTestHost b = await PlainServerAsync();
        await using EventStream events = await EventStream.OpenAsync(a.Client("alice", ApprovalTestHost.ApproverRole), a.Time);
        await WaitForPollsAsync(store, a.Time, 2); // the first read is the baseline; the second starts after it

        PendingApproval held = await b.PauseAsync();
        JsonElement created = await events.NextAsync();
        Assert.Equal(held.Id, created.GetProperty("approvalId").GetString());
        Assert.Equal("Pending", created.GetProperty("status").GetString());
        Assert.Equal("Pending", created.GetProperty("kind").GetString());

        using HttpResponseMessage decided = await b.Client("bob", ApprovalTestHost.ApproverRole).DecideAsync(
            held.Id, "c-tr", new { decision = "approve", fingerprint = held.Calls[0].Fingerprint });
        decided.EnsureSuccessStatusCode();
        JsonElement change = await events.NextAsync();
        Assert.Equal(held.Id, change.GetProperty("approvalId").GetString());
        Assert.Equal("Decided", change.GetProperty("status").GetString());

        // Every read for changes listed the pending approvals without their conversations (issue 18, goal 2).
        Assert.True(store.Polls >= 3);
        Assert.Equal(0, store.PollsWithConversations);
    }

    [Fact]
    public async Task Console_ChangeOnAnotherServerOfAnotherTenant_IsNeverSentToTheUser()
    {
        PollCountingStore store = new(new SqliteStateStore(_connectionString));
        await using ApprovalTestHost a = await ConsoleServerAsync(store, o => o.Endpoints.TenantFromUser = user => user.FindFirst(HeaderAuthenticationHandler.TenantClaim)?.Value);
        await using ApprovalTestHost b = await PlainServerAsync();
        await using EventStream alice = await EventStream.OpenAsync(a.TenantClient("alice", "acme", ApprovalTestHost.ApproverRole), a.Time);
        await using EventStream ann = await EventStream.OpenAsync(a.TenantClient("ann", "globex", ApprovalTestHost.ApproverRole), a.Time);
        await WaitForPollsAsync(store, a.Time, 2);

        // Globex's approval reaches Globex's approver; everything published goes to every stream at once, so had it been sent to
        // Acme's approver it would come before Acme's own approval, held afterwards.
        PendingApproval globex = await b.PauseAsync(conversationId: "conv-globex", tenant: "globex");
        Assert.Equal(globex.Id, (await ann.NextAsync()).GetProperty("approvalId").GetString());
        PendingApproval acme = await b.PauseAsync(conversationId: "conv-acme", tenant: "acme");

        Assert.Equal(acme.Id, (await alice.NextAsync()).GetProperty("approvalId").GetString());
    }

    [Fact]
    public async Task Console_DecisionMadeOnThisServer_IsToldOnceNotAgainByTheReader()
    {
        PollCountingStore store = new(new SqliteStateStore(_connectionString));
        await using ApprovalTestHost a = await ConsoleServerAsync(store);
        await using ApprovalTestHost b = await PlainServerAsync();
        await using EventStream events = await EventStream.OpenAsync(a.Client("alice", ApprovalTestHost.ApproverRole), a.Time);
        await WaitForPollsAsync(store, a.Time, 2);

        // Held here: pushed at once; the reader then lists it pending at that version, which it must not tell again.
        PendingApproval held = await a.PauseAsync();
        List<JsonElement> seen = [await events.NextAsync()];
        await WaitForPollsAsync(store, a.Time, store.Polls + 2);

        // Decided here: pushed at once; the reader then finds it gone from the pending list, which it must not tell again.
        using HttpResponseMessage decided = await a.Client("bob", ApprovalTestHost.ApproverRole).DecideAsync(
            held.Id, "c-tr", new { decision = "approve", fingerprint = held.Calls[0].Fingerprint });
        decided.EnsureSuccessStatusCode();
        await WaitForPollsAsync(store, a.Time, store.Polls + 2); // at least one whole read after the decision was saved

        // A marker held elsewhere: anything told twice would come before it.
        PendingApproval marker = await b.PauseAsync(conversationId: "conv-marker");
        do
        {
            seen.Add(await events.NextAsync());
        }
        while (seen[^1].GetProperty("approvalId").GetString() != marker.Id);

        Assert.Equal(
            [$"{held.Id} Pending", $"{held.Id} Decided", $"{marker.Id} Pending"],
            seen.Select(e => $"{e.GetProperty("approvalId").GetString()} {e.GetProperty("status").GetString()}"));
    }

    [Fact]
    public async Task Console_StoreFailsWhileReadingForChanges_StreamStaysOpenAndTheNextReadTellsTheChange()
    {
        PollCountingStore store = new(new SqliteStateStore(_connectionString));
        await using ApprovalTestHost a = await ConsoleServerAsync(store);
        await using ApprovalTestHost b = await PlainServerAsync();
        await using EventStream events = await EventStream.OpenAsync(a.Client("alice", ApprovalTestHost.ApproverRole), a.Time);
        await WaitForPollsAsync(store, a.Time, 2);

        store.FailingPolls = 3;
        PendingApproval held = await b.PauseAsync();

        Assert.Equal(held.Id, (await events.NextAsync()).GetProperty("approvalId").GetString());
        Assert.Equal(0, store.FailingPolls);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    public async Task Console_ChangePollIntervalOff_NeverReadsTheStoreForChanges(int? milliseconds)
    {
        PollCountingStore store = new(new SqliteStateStore(_connectionString));
        await using ApprovalTestHost a = await ConsoleServerAsync(store, o => o.ChangePollInterval = milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
        await using EventStream events = await EventStream.OpenAsync(a.Client("alice", ApprovalTestHost.ApproverRole), a.Time);

        // Changes made here are still pushed; the clock moves on by many intervals in between.
        PendingApproval first = await a.PauseAsync();
        Assert.Equal(first.Id, (await events.NextAsync()).GetProperty("approvalId").GetString());
        a.Time.Advance(TimeSpan.FromMinutes(10));
        PendingApproval second = await a.PauseAsync(conversationId: "conv-2");
        Assert.Equal(second.Id, (await events.NextAsync()).GetProperty("approvalId").GetString());

        Assert.Equal(0, store.Polls);
    }

    [Fact]
    public void ChangePollInterval_NegativeOrOverAnHour_Throws()
    {
        ApprovalConsoleOptions options = new();
        Assert.Equal(TimeSpan.FromSeconds(5), options.ChangePollInterval);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.ChangePollInterval = TimeSpan.FromTicks(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.ChangePollInterval = TimeSpan.FromHours(1) + TimeSpan.FromTicks(1));
        Assert.Equal(TimeSpan.FromSeconds(5), options.ChangePollInterval);
        options.ChangePollInterval = TimeSpan.Zero;
        options.ChangePollInterval = null;
        Assert.Null(options.ChangePollInterval);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Task<ApprovalTestHost> ConsoleServerAsync(IStateStore store, Action<ApprovalConsoleOptions>? console = null) =>
        ApprovalTestHost.StartAsync(
            console: o =>
            {
                o.ChangePollInterval = Poll;
                console?.Invoke(o);
            },
            services: s => s.AddSingleton(store));

    private Task<ApprovalTestHost> PlainServerAsync() =>
        ApprovalTestHost.StartAsync(services: s => s.AddSingleton<IStateStore>(new SqliteStateStore(_connectionString)));

    // Moves the console server's clock on until its reader has listed the store `count` times.
    private static async Task WaitForPollsAsync(PollCountingStore store, FakeTimeProvider time, int count)
    {
        using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));
        while (store.Polls < count)
        {
            time.Advance(Poll);
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>A console event stream; <see cref="NextAsync"/> moves the server's clock on while it waits for the next change.</summary>
    private sealed class EventStream(HttpResponseMessage response, StreamReader reader, FakeTimeProvider time) : IAsyncDisposable
    {
        public static async Task<EventStream> OpenAsync(TestUser user, FakeTimeProvider time)
        {
            HttpResponseMessage response = await user.Http.GetAsync("/console/api/events", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()), time);
        }

        public async Task<JsonElement> NextAsync()
        {
            using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));
            Task<JsonElement> next = ReadAsync(timeout.Token);
            while (!next.IsCompleted)
            {
                time.Advance(Poll);
                await Task.WhenAny(next, Task.Delay(10, timeout.Token));
            }

            return await next;
        }

        public ValueTask DisposeAsync()
        {
            reader.Dispose();
            response.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<JsonElement> ReadAsync(CancellationToken cancellationToken)
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    using JsonDocument document = JsonDocument.Parse(line["data: ".Length..]);
                    return document.RootElement.Clone();
                }
            }

            throw new EndOfStreamException("The event stream ended.");
        }
    }

    /// <summary>Passes every call to the SQLite store and counts the console's reads for changes (all pending approvals, 1,000 at most).</summary>
    private sealed class PollCountingStore(IStateStore inner) : IStateStore
    {
        private int _polls;
        private int _failing;
        private int _pollsWithConversations;

        public int Polls => Volatile.Read(ref _polls);

        /// <summary>Gets how many reads for changes asked for the conversations too (the poller compares ids and versions only).</summary>
        public int PollsWithConversations => Volatile.Read(ref _pollsWithConversations);

        /// <summary>Gets or sets how many of the next reads for changes fail (the store is down).</summary>
        public int FailingPolls { get => Volatile.Read(ref _failing); set => Volatile.Write(ref _failing, value); }

        public bool StoresHistorySeparately => inner.StoresHistorySeparately;

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => inner.TryCreateAsync(entry, cancellationToken);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
            inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

        public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
        {
            if (query is { Status: ApprovalStatus.Pending, PageSize: 1000, ConversationId: null, Approver: null, TenantId: null, ContinuationToken: null })
            {
                Interlocked.Increment(ref _polls);
                if (query.IncludeHistory)
                {
                    Interlocked.Increment(ref _pollsWithConversations);
                }

                if (Interlocked.Decrement(ref _failing) >= 0)
                {
                    throw new TimeoutException("The database is unavailable.");
                }

                Interlocked.Exchange(ref _failing, 0);
            }

            return await inner.ListAsync(query, cancellationToken);
        }
    }
}
