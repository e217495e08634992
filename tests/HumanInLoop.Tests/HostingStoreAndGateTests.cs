using System.Text;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace HumanInLoop.Tests;

/// <summary>The in-memory default's warning at start, and UseApprovalGate's (approvals, loggerFactory, configure) shape.</summary>
public sealed class HostingStoreAndGateTests
{
    private const int KeptInMemoryEvent = 30;
    private const int GateJudgedEvent = 31;

    private static IHost Build(FakeLogCollector logs, Action<IServiceCollection> register)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(logs));
        builder.Services.AddChatClient(_ => new ScriptedChatClient(TestBank.DefaultScript)).UseFunctionInvocation().UseApprovalGate();
        register(builder.Services);
        return builder.Build();
    }

    private static IEnumerable<FakeLogRecord> Warnings(FakeLogCollector logs) => logs.GetSnapshot().Where(r => r.Id.Id == KeptInMemoryEvent);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DefaultStore_HostStarts_WarnsOnceAtStartNotAgainOnUse(bool streaming)
    {
        FakeLogCollector logs = new();
        using IHost host = Build(logs, s => s.AddHumanInLoop(o => o.Policies.Add(ApprovalPolicy.Allow("check_balance"))));
        Assert.Empty(Warnings(logs));

        await host.StartAsync();
        FakeLogRecord warning = Assert.Single(Warnings(logs));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("HumanInLoop.InMemoryStateStore", warning.Category);
        Assert.Contains("AddHumanInLoopSqlite", warning.Message, StringComparison.Ordinal);

        TestBank bank = new();
        Outcome held = await Outcome.CaptureAsync(host.Services.GetRequiredService<IChatClient>(), [new(ChatRole.User, "transfer 150 to bob")], bank.ChatOptions(), streaming);
        Assert.IsType<InMemoryStateStore>(host.Services.GetRequiredService<ApprovalService>().Store);
        Assert.NotNull(await host.Services.GetRequiredService<IStateStore>().GetAsync(held.Pending.Id));
        await host.StopAsync();
        Assert.Single(Warnings(logs));
    }

    [Fact]
    public void DefaultStore_NoHost_WarnsAtFirstResolve()
    {
        FakeLogCollector logs = new();
        ServiceCollection services = new();
        services.AddLogging(l => l.AddProvider(new FakeLoggerProvider(logs))).AddHumanInLoop();
        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Empty(Warnings(logs));

        _ = provider.GetRequiredService<ApprovalService>();
        _ = provider.GetRequiredService<ApprovalService>();

        Assert.Single(Warnings(logs));
    }

    public static TheoryData<string> ChosenStores => ["in memory, registered before", "in memory, registered after", "own store"];

    [Theory]
    [MemberData(nameof(ChosenStores))]
    public async Task ChosenStore_HostStarts_NoWarning(string store)
    {
        FakeLogCollector logs = new();
        using IHost host = Build(logs, s =>
        {
            if (store == "in memory, registered before")
            {
                s.AddSingleton<IStateStore, InMemoryStateStore>();
            }

            s.AddHumanInLoop(o => o.Policies.Add(ApprovalPolicy.Allow("check_balance")));
            if (store == "in memory, registered after")
            {
                s.AddSingleton<IStateStore>(new InMemoryStateStore());
            }
            else if (store == "own store")
            {
                s.AddSingleton<IStateStore>(new ForwardingStore(new InMemoryStateStore(), storesHistorySeparately: true));
            }
        });

        await host.StartAsync();
        _ = host.Services.GetRequiredService<ApprovalService>();
        await host.StopAsync();

        Assert.Empty(Warnings(logs));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UseApprovalGate_LoggerFactoryAndConfigure_GateLogsVerdictsThereAndIsConfigured(bool streaming)
    {
        FakeLogCollector gateLogs = new();
        using ILoggerFactory gateLogging = LoggerFactory.Create(l => l.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(gateLogs)));
        TestBank bank = new();
        List<ApprovalGateChatClient> configured = [];
        IChatClient client = new ChatClientBuilder(new ScriptedChatClient(TestBank.DefaultScript))
            .UseFunctionInvocation()
            .UseApprovalGate(bank.Approvals, gateLogging, configured.Add)
            .Build();

        Outcome outcome = await Outcome.CaptureAsync(client, [new(ChatRole.User, "balance and transfer 150 to bob")], bank.ChatOptions(), streaming);

        Assert.Same(client.GetService<ApprovalGateChatClient>(), Assert.Single(configured));
        Assert.Same(bank.Approvals, configured[0].Approvals);
        Assert.Equal(0, bank.BalanceChecks); // held with the transfer: nothing of the batch ran
        string[] verdicts = [.. gateLogs.GetSnapshot().Where(r => r.Id.Id == GateJudgedEvent).Select(r => r.Message)];
        Assert.Equal(2, verdicts.Length);
        Assert.Contains(verdicts, m => m.Contains("check_balance: Allow", StringComparison.Ordinal) && m.Contains("held for a person: True", StringComparison.Ordinal));
        Assert.Contains(verdicts, m => m.Contains("transfer: RequireApproval", StringComparison.Ordinal));
        Assert.NotNull(await bank.Store.GetAsync(outcome.Pending.Id));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UseApprovalGate_NoLoggerFactory_TakesTheServicesOne(bool streaming)
    {
        FakeLogCollector logs = new();
        using IHost host = Build(logs, s => s.AddHumanInLoop(o => { o.Policies.Add(ApprovalPolicy.Allow("check_balance")); o.Policies.Add(ApprovalPolicy.Deny("delete_account", "never")); }));
        await host.StartAsync();
        TestBank bank = new();

        Outcome outcome = await Outcome.CaptureAsync(host.Services.GetRequiredService<IChatClient>(), [new(ChatRole.User, "delete it")], bank.ChatOptions(), streaming);

        Assert.Null(outcome.Error);
        FakeLogRecord judged = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == GateJudgedEvent && r.Message.Contains("delete_account", StringComparison.Ordinal));
        Assert.Equal("HumanInLoop.ApprovalGateChatClient", judged.Category);
        Assert.Equal(LogLevel.Debug, judged.Level);
        await host.StopAsync();
    }
}
