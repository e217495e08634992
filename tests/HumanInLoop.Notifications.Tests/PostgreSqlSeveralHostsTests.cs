using HumanInLoop.Notifications.Tests.Infrastructure;
using HumanInLoop.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HumanInLoop.Notifications.Tests;

/// <summary>Two hosts on one PostgreSQL schema (<c>HUMANINLOOP_POSTGRES</c>; skipped when unset outside CI, failed when unset in CI).</summary>
public sealed class PostgreSqlSeveralHostsTests : SeveralHostsTests
{
    private readonly string _schema = $"t_{Guid.NewGuid():N}";
    private readonly List<PostgreSqlNotificationStore> _opened = [];

    private static string ConnectionString => PostgresFactAttribute.ConnectionString();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (PostgreSqlNotificationStore store in _opened)
        {
            await store.DisposeAsync();
        }

        if (PostgresFactAttribute.Configured)
        {
            await using NpgsqlConnection connection = new(ConnectionString);
            await connection.OpenAsync();
            await using NpgsqlCommand drop = new($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [PostgresFact]
    public Task RequestInFlightOnOneHost_IsNotSentByTheOther() => RequestInFlightOnOneHost_IsNotSentByTheOther_EachMessageOnce();

    [PostgresFact]
    public Task DeliveredMessages_SweptAgain_NotClaimedAgain() => DeliveredMessages_FoundAgainBySweeps_AreNotClaimedAgain();

    [PostgresFact]
    public Task BothHostsSweepingAtOnce_EachMessageOnce() => ManyPendingApprovals_BothHostsSweepingAtOnce_SendEachMessageOnce();

    [PostgresFact]
    public Task ClaimOfADeadHost_TakenOverWhenItsLeaseEnds() => ClaimLeftByAHostThatDied_IsTakenOverWhenItsLeaseEnds_SentOnce();

    [PostgresFact]
    public Task Expiry_OnBothHosts_OnceEach() => ExpiryServicesOnBothHosts_ExpireEachApprovalOnce_OneAuditEvent_OneExpiredMessage();

    [PostgresFact]
    public Task Resume_ByBothHosts_RunsOnce() => ApprovedCall_ResumedByBothHostsAtOnce_RunsOnce_OthersGetTheTypedAnswer();

    protected override void AddStores(IServiceCollection services)
    {
        services.AddHumanInLoopPostgreSql(options => { options.ConnectionString = ConnectionString; options.Schema = _schema; });
        services.AddHumanInLoopPostgreSqlNotificationStore(options => { options.ConnectionString = ConnectionString; options.Schema = _schema; });
    }

    protected override INotificationStore OpenNotificationStore()
    {
        PostgreSqlNotificationStore store = new(new PostgreSqlNotificationStoreOptions { ConnectionString = ConnectionString, Schema = _schema });
        _opened.Add(store);
        return store;
    }
}
