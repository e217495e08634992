using System.Text.Json;

namespace HumanInLoop.Tests;

/// <summary>The archive a purging store keeps: taken out and read back only through the serializer, which owns the format.</summary>
public sealed class AuditTrailArchiveTests
{
    private static async Task<StateEntry> CompletedEntryAsync(TestBank bank)
    {
        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        return (await bank.Store.GetAsync(pending.Id))!;
    }

    [Fact]
    public async Task ExtractAuditTrail_ReturnsTheStoredTrailByteForByte_AndReadAuditTrailReadsItBack()
    {
        TestBank bank = new();
        StateEntry entry = await CompletedEntryAsync(bank);
        PendingApproval approval = await bank.Approvals.GetAsync(entry.Id);

        string trail = PendingApprovalSerializer.ExtractAuditTrail(entry)!;

        using JsonDocument record = JsonDocument.Parse(entry.Data);
        Assert.Equal(record.RootElement.GetProperty("auditTrail").GetRawText(), trail);
        IReadOnlyList<ApprovalAuditEntry> read = PendingApprovalSerializer.ReadAuditTrail(entry.Id, trail);
        Assert.Equal(approval.AuditTrail.Select(e => (e.Sequence, e.Event, e.Hash, e.PreviousHash)), read.Select(e => (e.Sequence, e.Event, e.Hash, e.PreviousHash)));
        Assert.Equal(ApprovalAuditEvent.Completed, read[^1].Event);
    }

    [Fact]
    public async Task ExtractAuditTrail_OfARecordThatIsNotTheOneItsRowNames_IsNull_SoPurgeKeepsIt()
    {
        TestBank bank = new();
        StateEntry entry = await CompletedEntryAsync(bank);

        // The library refuses to read such a row (ApprovalIntegrityException), so its trail is not archived and the row is kept.
        Assert.Null(PendingApprovalSerializer.ExtractAuditTrail(entry with { Id = "apr_someone-else" }));
        await Assert.ThrowsAsync<ApprovalIntegrityException>(async () =>
        {
            Assert.True(await bank.Store.TryCreateAsync(entry with { Id = "apr_someone-else", Version = 1 }));
            await bank.Approvals.GetAsync("apr_someone-else");
        });
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[null]")]
    [InlineData("not json")]
    public void ReadAuditTrail_OfSomethingElse_IsATypedFormatError(string archived)
    {
        ApprovalStateFormatException error = Assert.Throws<ApprovalStateFormatException>(() => PendingApprovalSerializer.ReadAuditTrail("apr_x", archived));
        Assert.Equal("apr_x", error.ApprovalId);
    }

    [Fact]
    public void ExtractAuditTrail_OfAMalformedRecord_IsNull()
    {
        StateEntry entry = new("apr_x", null, ApprovalStatus.Completed, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1, """{"formatVersion":1,"id":"apr_x","auditTrail":[]""");
        Assert.Null(PendingApprovalSerializer.ExtractAuditTrail(entry));
    }
}
