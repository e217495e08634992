using HumanInLoop.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Notifications.Tests;

/// <summary>Two hosts on one SQLite file.</summary>
public sealed class SqliteSeveralHostsTests : SeveralHostsTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hil-hosts-" + Guid.NewGuid().ToString("N"));

    private string ConnectionString => $"Data Source={Path.Combine(_directory, "approvals.db")}";

    public override Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public Task RequestInFlightOnOneHost_IsNotSentByTheOther() => RequestInFlightOnOneHost_IsNotSentByTheOther_EachMessageOnce();

    [Fact]
    public Task DeliveredMessages_SweptAgain_NotClaimedAgain() => DeliveredMessages_FoundAgainBySweeps_AreNotClaimedAgain();

    [Fact]
    public Task BothHostsSweepingAtOnce_EachMessageOnce() => ManyPendingApprovals_BothHostsSweepingAtOnce_SendEachMessageOnce();

    [Fact]
    public Task ClaimOfADeadHost_TakenOverWhenItsLeaseEnds() => ClaimLeftByAHostThatDied_IsTakenOverWhenItsLeaseEnds_SentOnce();

    [Fact]
    public Task Expiry_OnBothHosts_OnceEach() => ExpiryServicesOnBothHosts_ExpireEachApprovalOnce_OneAuditEvent_OneExpiredMessage();

    [Fact]
    public Task Resume_ByBothHosts_RunsOnce() => ApprovedCall_ResumedByBothHostsAtOnce_RunsOnce_OthersGetTheTypedAnswer();

    protected override void AddStores(IServiceCollection services)
    {
        services.AddHumanInLoopSqlite(ConnectionString);
        services.AddHumanInLoopSqliteNotificationStore(ConnectionString);
    }

    protected override INotificationStore OpenNotificationStore() => new SqliteNotificationStore(ConnectionString);
}
