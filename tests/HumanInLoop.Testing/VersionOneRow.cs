using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Testing;

/// <summary>
/// A row as schema version 1 of the durable stores held it, before the conversation was kept apart: the whole approval,
/// conversation included, in <c>data</c> (the saved v1 snapshot of tests/HumanInLoop.Tests, written by the library then),
/// with its index columns, and no <c>history</c> column at all. Each store's tests write it into a version-1 table shape
/// with a raw connection, let the store upgrade the database, and check it with <see cref="AssertUpgradedStoreAsync"/>.
/// </summary>
public static class VersionOneRow
{
    /// <summary>The approval id, in the row and in its data.</summary>
    public const string Id = "apr_GVW01RmlqH9FNCWQzrD84A";

    /// <summary>The conversation id, in the row and in its data.</summary>
    public const string ConversationId = "conv-1";

    /// <summary>The status, in the row and in its data.</summary>
    public const ApprovalStatus Status = ApprovalStatus.Decided;

    /// <summary>The version column: created, then decided.</summary>
    public const long Version = 2;

    /// <summary>Gets the creation time, in the row and in its data.</summary>
    public static DateTimeOffset CreatedAt { get; } = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Gets the deadline, in the row and in its data.</summary>
    public static DateTimeOffset ExpiresAt { get; } = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Gets the time of the last change, in the row and in its data.</summary>
    public static DateTimeOffset UpdatedAt { get; } = new(2026, 11, 24, 9, 3, 0, TimeSpan.Zero);

    /// <summary>Gets the whole approval as the library wrote it into <c>data</c> (indented, "messages" inside).</summary>
    public static string Data { get; } = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", "pending-approval-v1.json"));

    /// <summary>Gets the entry the row must read back as, exactly: no <see cref="StateEntry.History"/>.</summary>
    public static StateEntry Entry { get; } = new(Id, ConversationId, Status, CreatedAt, ExpiresAt, UpdatedAt, Version, Data);

    /// <summary>
    /// Checks a store over a database upgraded from version 1 with this row in it: the row reads back exactly (Get and List,
    /// History null) and as the approval it was; an update keeps it without History; a new entry keeps its History.
    /// </summary>
    public static async Task AssertUpgradedStoreAsync(IStateStore store)
    {
        Assert.Contains("\"messages\"", Data, StringComparison.Ordinal);

        StateEntry read = Assert.IsType<StateEntry>(await store.GetAsync(Id));
        // The tenant column (SQLite schema 5, PostgreSQL 4) is filled from the context the row holds.
        Assert.Equal(Entry with { TenantId = "t1" }, read);
        Assert.Equal(Data, read.Data);
        Assert.Null(read.History);
        StateEntry listed = Assert.Single((await store.ListAsync(new StateQuery())).Entries);
        Assert.Equal(Entry with { TenantId = "t1" }, listed);
        Assert.Equal(Id, Assert.Single((await store.ListAsync(new StateQuery { TenantId = "t1", Status = Status })).Entries).Id);
        Assert.Null(listed.History);

        // Still the approval it was, through the serializer and through the service (which verifies its audit chain).
        PendingApproval approval = PendingApprovalSerializer.Deserialize(read);
        Assert.Equal(2, approval.Messages.Count);
        Assert.Equal("balance and transfer 500 to bob", approval.Messages[0].Text);
        ApprovalService service = new(store, new ApprovalOptions { TimeProvider = new FakeTimeProvider(UpdatedAt.AddMinutes(1)) });
        PendingApproval loaded = await service.GetAsync(Id);
        Assert.Equal(ApprovalStatus.Decided, loaded.Status);
        Assert.Equal(2, loaded.Messages.Count);
        Assert.Equal(ApprovalAuditEvent.ApprovedWithEdits, loaded.AuditTrail[^1].Event);

        // An update of the old row writes no history, whatever the entry carries.
        StateEntry updated = Entry with { Status = ApprovalStatus.Cancelled, UpdatedAt = UpdatedAt.AddMinutes(5), Version = Version + 1, Data = "{\"v\":3}" };
        Assert.True(await store.TryUpdateAsync(updated with { History = "[]" }, Version));
        Assert.Equal(updated, await store.GetAsync(Id));

        // A new entry keeps the conversation apart, byte for byte.
        const string history = """[{"role":"user","contents":[{"$type":"text","text":"Überweise 500 an Zoë 😀"}]}]""";
        StateEntry fresh = new("apr_new", ConversationId, ApprovalStatus.Pending, UpdatedAt, ExpiresAt, UpdatedAt, 1, "{\"v\":1}") { History = history };
        Assert.True(await store.TryCreateAsync(fresh));
        Assert.Equal(history, (await store.GetAsync("apr_new"))!.History);
        Assert.Equal(fresh, Assert.Single((await store.ListAsync(new StateQuery { Status = ApprovalStatus.Pending })).Entries));
    }
}
