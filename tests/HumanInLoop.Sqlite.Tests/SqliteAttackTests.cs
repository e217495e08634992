using HumanInLoop.Internal;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>Attacks on, and misuse of, the SQLite store: hostile ids and tokens, locks, purge, concurrent writers.</summary>
public sealed class SqliteAttackTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static StateEntry Entry(string id, string? conversation = "c1", ApprovalStatus status = ApprovalStatus.Pending, int minutes = 0, long version = 1) =>
        new(id, conversation, status, T0.AddMinutes(minutes), T0.AddDays(3), T0.AddMinutes(minutes), version, $$"""{"formatVersion":1,"v":{{version}}}""");

    private async Task<(SqliteStateStore Store, string Connection)> NewStoreAsync(TimeSpan? busyTimeout = null)
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(new SqliteStateStoreOptions { ConnectionString = connection, BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(30) });
        await store.InitializeAsync();
        return (store, connection);
    }

    private static async Task<long> CountAsync(string connection, string table)
    {
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteCommand command = db.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Theory]
    [InlineData("x' OR '1'='1")]
    [InlineData("x'; DROP TABLE hil_approvals; --")]
    [InlineData("\" OR 1=1 --")]
    [InlineData("%")]
    [InlineData("_")]
    public async Task SqlInIdsAndConversationIds_IsJustText(string hostile)
    {
        (SqliteStateStore store, string connection) = await NewStoreAsync();
        Assert.True(await store.TryCreateAsync(Entry("victim", "victim-conversation")));
        Assert.True(await store.TryCreateAsync(Entry(hostile, hostile, minutes: 1)));

        Assert.Equal(hostile, (await store.GetAsync(hostile))!.Id);
        StateEntry listed = Assert.Single((await store.ListAsync(new StateQuery { ConversationId = hostile })).Entries);
        Assert.Equal(hostile, listed.Id);
        Assert.False(await store.TryUpdateAsync(Entry(hostile, hostile, ApprovalStatus.Cancelled, version: 3), 2));
        Assert.True(await store.TryUpdateAsync(Entry(hostile, hostile, ApprovalStatus.Cancelled, version: 2), 1));
        Assert.Equal(ApprovalStatus.Pending, (await store.GetAsync("victim"))!.Status);
        Assert.Equal(2L, await CountAsync(connection, "hil_approvals"));
    }

    [Fact]
    public async Task ForgedContinuationToken_WithSqlInItsId_PagesOnlyWithinTheFilter()
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        await store.TryCreateAsync(Entry("mine-1", "mine", minutes: 1));
        await store.TryCreateAsync(Entry("theirs-1", "theirs", minutes: 2));
        string forged = StateContinuationToken.Create(Entry("zzz') OR 1=1 OR ('a'='a", "theirs", minutes: 10));

        StatePage page = await store.ListAsync(new StateQuery { ConversationId = "mine", ContinuationToken = forged });

        Assert.Equal(["mine-1"], page.Entries.Select(e => e.Id));
        Assert.Null(page.ContinuationToken);
    }

    [Theory]
    [InlineData("OTIyMzM3MjAzNjg1NDc3NTgwNzp4")] // "9223372036854775807:x": a time no DateTimeOffset can hold
    [InlineData("LTk5OTk5OTk5OTk5OTk5OTk6eA")] // "-99999999999999999:x"
    [InlineData("MTIzOg")] // "123:" (no id)
    [InlineData("OmFwcl8x")] // ":apr_1" (no time)
    [InlineData("")]
    [InlineData("====")]
    public async Task TamperedContinuationToken_ArgumentException(string token)
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        await store.TryCreateAsync(Entry("a"));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListAsync(new StateQuery { ContinuationToken = token }));
    }

    [Fact]
    public async Task IdsWithNulAndOddUnicode_AreDistinctAndComeBackExactly()
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        string[] ids = ["a", "a\0", "a\0b", "a\0c", "A", "a ", "e\u0301", "\u00e9", "\u202eevil", "\U0001F600", "\uFEFFa", new string('x', 100_000)];
        foreach (string id in ids)
        {
            Assert.True(await store.TryCreateAsync(Entry(id, conversation: id)), $"create {id.Length}");
        }

        foreach (string id in ids)
        {
            StateEntry read = (await store.GetAsync(id))!;
            Assert.Equal(id, read.Id);
            Assert.Equal(id, read.ConversationId);
            Assert.Equal(id, Assert.Single((await store.ListAsync(new StateQuery { ConversationId = id })).Entries).Id);
        }

        Assert.Null(await store.GetAsync("a\0d"));
    }

    [Fact]
    public async Task IdsWithALoneSurrogate_AreRefusedOrKeptDistinct()
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        string first = "apr_x" + (char)0xD800;
        string second = "apr_x" + (char)0xDBFF;

        Exception? refused = await Record.ExceptionAsync(() => store.TryCreateAsync(Entry(first)));
        if (refused is not null)
        {
            Assert.IsAssignableFrom<ArgumentException>(refused);
            return;
        }

        Assert.True(await store.TryCreateAsync(Entry(second)));
        Assert.Equal(first, (await store.GetAsync(first))!.Id);
        Assert.Equal(second, (await store.GetAsync(second))!.Id);
    }

    [Fact]
    public async Task ConversationIdsWithALoneSurrogate_DoNotShareListings()
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        Exception? refused = await Record.ExceptionAsync(() => store.TryCreateAsync(Entry("victim-approval", "chat-" + (char)0xD83D)));
        if (refused is not null)
        {
            Assert.IsAssignableFrom<ArgumentException>(refused);
            return;
        }

        StatePage attacker = await store.ListAsync(new StateQuery { ConversationId = "chat-" + (char)0xDE00 });

        Assert.Empty(attacker.Entries);
    }

    [Fact]
    public async Task IdsDifferingOnlyInCase_AreDifferentApprovals()
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        Assert.True(await store.TryCreateAsync(Entry("apr_abc")));

        Assert.Null(await store.GetAsync("APR_ABC"));
        Assert.False(await store.TryUpdateAsync(Entry("APR_ABC", status: ApprovalStatus.Cancelled, version: 2), 1));
        Assert.True(await store.TryCreateAsync(Entry("APR_ABC")));
        Assert.Equal(ApprovalStatus.Pending, (await store.GetAsync("apr_abc"))!.Status);
    }

    [Fact]
    public async Task EmptyConversationId_IsNotTheSameAsNone()
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        await store.TryCreateAsync(Entry("none", conversation: null));
        await store.TryCreateAsync(Entry("empty", conversation: ""));

        Assert.Equal(["empty"], (await store.ListAsync(new StateQuery { ConversationId = "" })).Entries.Select(e => e.Id));
        Assert.Null((await store.GetAsync("none"))!.ConversationId);
    }

    [Fact]
    public async Task UnicodeIdsWithEqualTimes_PagedOneByOne_EachSeenOnceInOrder()
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        string[] ids = ["b", "a\0", "a", "\U0001F600", "\uFFFD", "\u00e9", "Z", "a\u0000\u0000"];
        foreach (string id in ids)
        {
            await store.TryCreateAsync(Entry(id));
        }

        List<string> seen = [];
        string? token = null;
        do
        {
            StatePage page = await store.ListAsync(new StateQuery { PageSize = 1, ContinuationToken = token });
            seen.AddRange(page.Entries.Select(e => e.Id));
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(ids.Length, seen.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(seen.Distinct().Count(), seen.Count);
    }

    [Fact]
    public async Task ConcurrentUpdatesOfOneVersion_FromTwoStoreObjects_ExactlyOneWins()
    {
        (SqliteStateStore first, string connection) = await NewStoreAsync();
        SqliteStateStore second = new($"{connection};Default Timeout=31"); // its own pool, as another process would have
        await first.TryCreateAsync(Entry("race"));

        bool[] results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() =>
            (i % 2 == 0 ? first : second).TryUpdateAsync(Entry("race", status: ApprovalStatus.Decided, minutes: i, version: 2), 1))));

        Assert.Equal(1, results.Count(r => r));
        StateEntry after = (await second.GetAsync("race"))!;
        Assert.Equal(2, after.Version);
        Assert.Equal(T0.AddMinutes(Array.IndexOf(results, true)), after.CreatedAt);
    }

    [Fact]
    public async Task WhileAnotherConnectionHoldsTheWriteLock_UpdateFails_AndChangesNothing()
    {
        (SqliteStateStore store, string connection) = await NewStoreAsync(TimeSpan.FromMilliseconds(200));
        await store.TryCreateAsync(Entry("locked"));
        await using (SqliteConnection blocker = new($"{connection};Pooling=False"))
        {
            await blocker.OpenAsync();
            await using SqliteTransaction hold = blocker.BeginTransaction(deferred: false);

            await Assert.ThrowsAsync<SqliteException>(() => store.TryUpdateAsync(Entry("locked", status: ApprovalStatus.Cancelled, version: 2), 1));
            await hold.RollbackAsync();
        }

        Assert.Equal(ApprovalStatus.Pending, (await store.GetAsync("locked"))!.Status);
        Assert.True(await store.TryUpdateAsync(Entry("locked", status: ApprovalStatus.Cancelled, version: 2), 1));
    }

    [Fact]
    public async Task Purge_NeverRemovesUnfinishedApprovals_WhateverTheirAge()
    {
        (SqliteStateStore store, string connection) = await NewStoreAsync();
        ApprovalStatus[] unfinished = [ApprovalStatus.Pending, ApprovalStatus.Decided, ApprovalStatus.Executing, ApprovalStatus.InDoubt];
        foreach (ApprovalStatus status in unfinished)
        {
            await store.TryCreateAsync(Entry($"old-{status}", status: status, minutes: -1_000_000));
        }

        int purged = await store.PurgeAsync(DateTimeOffset.MaxValue, keepAuditTrail: false);

        Assert.Equal(0, purged);
        foreach (ApprovalStatus status in unfinished)
        {
            Assert.Equal(status, (await store.GetAsync($"old-{status}"))!.Status);
        }

        Assert.Equal(0L, await CountAsync(connection, "hil_audit_archive"));
    }

    [Fact]
    public async Task Purge_WithAnIntegrityKey_StillArchivesTheTrail_AndTheApprovalIsGone()
    {
        (SqliteStateStore store, _) = await NewStoreAsync();
        Microsoft.Extensions.Time.Testing.FakeTimeProvider time = new(T0);
        ApprovalService approvals = new(store, new ApprovalOptions
        {
            TimeProvider = time,
            IntegrityKey = new byte[32],
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") },
        });
        Microsoft.Extensions.AI.AIFunction transfer = Microsoft.Extensions.AI.AIFunctionFactory.Create((string to, decimal amount) => $"sent {amount} to {to}", "transfer");
        PlanResult plan = await approvals.RunPlanAsync([PlannedAction.Create("transfer", new { To = "bob", Amount = 10m })], [transfer]);
        string id = plan.PendingApproval!.Id;
        await approvals.CancelAsync(id, new Approver("alice"), "not needed");
        time.Advance(TimeSpan.FromDays(1));

        int purged = await store.PurgeAsync(time.GetUtcNow());

        Assert.Equal(1, purged);
        Assert.Null(await store.GetAsync(id));
        IReadOnlyList<ApprovalAuditEntry> trail = Assert.IsAssignableFrom<IReadOnlyList<ApprovalAuditEntry>>(await store.ReadArchivedAuditTrailAsync(id));
        Assert.Equal(ApprovalAuditEvent.Cancelled, trail[^1].Event);
    }
}
