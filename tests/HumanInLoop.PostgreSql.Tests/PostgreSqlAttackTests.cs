using HumanInLoop.Internal;
namespace HumanInLoop.PostgreSql.Tests;

/// <summary>Attacks on, and misuse of, the PostgreSQL store: hostile ids and tokens, odd text, purge, concurrent writers.</summary>
public sealed class PostgreSqlAttackTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private PostgresSchemas? _schemas;

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }

    private static StateEntry Entry(string id, string? conversation = "c1", ApprovalStatus status = ApprovalStatus.Pending, int minutes = 0, long version = 1) =>
        new(id, conversation, status, T0.AddMinutes(minutes), T0.AddDays(3), T0.AddMinutes(minutes), version, $$"""{"formatVersion":1,"v":{{version}}}""");

    [Theory]
    [InlineData("x' OR '1'='1")]
    [InlineData("x'); DROP TABLE hil_approvals; --")]
    [InlineData("$1")]
    [InlineData("%")]
    public async Task SqlInIdsAndConversationIds_IsJustText(string hostile)
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        Assert.True(await store.TryCreateAsync(Entry("victim", "victim-conversation")));
        Assert.True(await store.TryCreateAsync(Entry(hostile, hostile, minutes: 1)));

        Assert.Equal(hostile, (await store.GetAsync(hostile))!.Id);
        Assert.Equal(hostile, Assert.Single((await store.ListAsync(new StateQuery { ConversationId = hostile })).Entries).Id);
        Assert.True(await store.TryUpdateAsync(Entry(hostile, hostile, ApprovalStatus.Cancelled, version: 2), 1));
        Assert.Equal(ApprovalStatus.Pending, (await store.GetAsync("victim"))!.Status);
        Assert.Equal(2L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_approvals"));
    }

    [Fact]
    public async Task ForgedContinuationToken_WithSqlInItsId_PagesOnlyWithinTheFilter()
    {
        PostgreSqlStateStore store = Schemas.NewStore();
        await store.TryCreateAsync(Entry("mine-1", "mine", minutes: 1));
        await store.TryCreateAsync(Entry("theirs-1", "theirs", minutes: 2));
        string forged = StateContinuationToken.Create(Entry("zzz') OR 1=1 OR ('a'='a", "theirs", minutes: 10));

        StatePage page = await store.ListAsync(new StateQuery { ConversationId = "mine", ContinuationToken = forged });

        Assert.Equal(["mine-1"], page.Entries.Select(e => e.Id));
    }

    [Theory]
    [InlineData("OTIyMzM3MjAzNjg1NDc3NTgwNzp4")] // "9223372036854775807:x"
    [InlineData("MTIzOg")] // "123:"
    [InlineData("====")]
    public async Task TamperedContinuationToken_ArgumentException(string token)
    {
        PostgreSqlStateStore store = Schemas.NewStore();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListAsync(new StateQuery { ContinuationToken = token }));
    }

    [Fact]
    public async Task IdsWithOddUnicode_AreDistinctAndComeBackExactly()
    {
        PostgreSqlStateStore store = Schemas.NewStore();
        string[] ids = ["a", "A", "a ", "e\u0301", "\u00e9", "\u202eevil", "\U0001F600", "\uFEFFa", new string('x', 100_000)];
        foreach (string id in ids)
        {
            Assert.True(await store.TryCreateAsync(Entry(id, conversation: id)));
        }

        foreach (string id in ids)
        {
            StateEntry read = (await store.GetAsync(id))!;
            Assert.Equal((id, id), (read.Id, read.ConversationId));
            Assert.Equal(id, Assert.Single((await store.ListAsync(new StateQuery { ConversationId = id })).Entries).Id);
        }
    }

    [Fact]
    public async Task IdWithALoneSurrogate_RefusedWithAnArgumentException_NothingStored()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await store.InitializeAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryCreateAsync(Entry("apr_x" + (char)0xD800)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryCreateAsync(Entry("apr_y", "chat-" + (char)0xD83D)));

        Assert.Equal(0L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_approvals"));
    }

    [Fact]
    public async Task IdWithNul_Refused_NothingStored_StoreStillWorks()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await store.InitializeAsync();

        // PostgreSQL text cannot hold NUL; the SQLite store keeps it. Refused here, and nothing half-written.
        Npgsql.PostgresException error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => store.TryCreateAsync(Entry("apr_a\0b")));
        Assert.Equal("22021", error.SqlState);

        Assert.Equal(0L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_approvals"));
        Assert.True(await store.TryCreateAsync(Entry("apr_a")));
    }

    [Fact]
    public async Task ConcurrentUpdatesOfOneVersion_FromTwoStoreObjects_ExactlyOneWins()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore first = Schemas.NewStore(schema);
        PostgreSqlStateStore second = Schemas.NewStore(schema);
        await first.TryCreateAsync(Entry("race"));

        bool[] results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() =>
            (i % 2 == 0 ? first : second).TryUpdateAsync(Entry("race", status: ApprovalStatus.Decided, minutes: i, version: 2), 1))));

        Assert.Equal(1, results.Count(r => r));
        StateEntry after = (await second.GetAsync("race"))!;
        Assert.Equal(2, after.Version);
        Assert.Equal(T0.AddMinutes(Array.IndexOf(results, true)), after.CreatedAt);
    }

    [Fact]
    public async Task Purge_NeverRemovesUnfinishedApprovals_WhateverTheirAge()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
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
    }
}
