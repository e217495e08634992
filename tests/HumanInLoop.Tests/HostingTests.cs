using System.Text;
using HumanInLoop.Internal;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace HumanInLoop.Tests;

/// <summary>AddHumanInLoop as .NET hosts expect it: options that compose, bind from configuration and are validated at start.</summary>
public sealed class HostingTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 3))];

    private static string AppSettings(string humanInLoop) => $$"""{ "HumanInLoop": {{humanInLoop}} }""";

    /// <summary>A host as an application builds it: JSON configuration, fake logs, a manual clock, a scripted model behind the gate.</summary>
    private static IHost Build(string appSettings, Action<HostApplicationBuilder> register, FakeLogCollector? logs = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(appSettings)));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(logs ?? new FakeLogCollector()));
        builder.Services.AddSingleton<TimeProvider>(new ManualClock(TestBank.Start));
        builder.Services.AddChatClient(_ => new ScriptedChatClient(TestBank.DefaultScript)).UseFunctionInvocation().UseApprovalGate();
        register(builder);
        return builder.Build();
    }

    private static async Task<Outcome> SendAsync(IHost host, TestBank bank, string text, bool streaming) =>
        await Outcome.CaptureAsync(host.Services.GetRequiredService<IChatClient>(), [new(ChatRole.User, text)], bank.ChatOptions(), streaming);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AddHumanInLoop_ConfigurationSection_BindsTheDataSettings(bool streaming)
    {
        string settings = AppSettings($$"""
            {
              "DefaultExpiration": "02:00:00", "ExecutionLease": "00:01:00", "RejectedRepeatLimit": 0, "PreventSelfApproval": true,
              "RecordCalls": false, "Granters": [ "role:lead" ], "IdempotentTools": [ "transfer" ], "IntegrityKey": "{{Convert.ToBase64String(Key)}}"
            }
            """);
        using IHost host = Build(settings, b => b.Services.AddHumanInLoop(b.Configuration.GetSection("HumanInLoop"), o => o.Policies.Add(TestBank.DefaultOptions().Policies[1])));
        await host.StartAsync();

        ApprovalOptions options = host.Services.GetRequiredService<IOptions<ApprovalOptions>>().Value;
        Assert.Equal((TimeSpan.FromHours(2), TimeSpan.FromMinutes(1), 0, true, false), (options.DefaultExpiration, options.ExecutionLease, options.RejectedRepeatLimit, options.PreventSelfApproval, options.RecordCalls));
        Assert.Equal(["role:lead"], options.Granters);
        Assert.Equal(["transfer"], options.IdempotentTools);
        Assert.Equal(Key, options.IntegrityKey.ToArray());
        Assert.IsType<ManualClock>(options.TimeProvider);

        // The settings act: the approval expires after the configured two hours, and the requester may not approve it.
        TestBank bank = new();
        PendingApproval held = (await SendAsync(host, bank, "transfer 150 to bob", streaming)).Pending;
        Assert.Equal(TestBank.Start.AddHours(2), held.ExpiresAt);
        ApprovalService approvals = host.Services.GetRequiredService<ApprovalService>();
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Approve(new Approver("carol"))));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AddHumanInLoop_CalledTwice_BothConfiguresApplyInOrder(bool streaming)
    {
        using IHost host = Build("{}", b => b.Services
            .AddHumanInLoop(o => { o.Policies.Add(ApprovalPolicy.Allow("check_balance")); o.DefaultExpiration = TimeSpan.FromDays(1); })
            .AddHumanInLoop(o => { o.Policies.Add(TestBank.DefaultOptions().Policies[1]); o.DefaultExpiration = TimeSpan.FromHours(1); }));
        await host.StartAsync();

        TestBank bank = new();
        PendingApproval held = (await SendAsync(host, bank, "balance and transfer 150 to bob", streaming)).Pending;

        // The first call's policy allowed the balance check at once, the second's held the transfer; the later setting won.
        PendingToolCall transfer = Assert.Single(held.AwaitingApproval);
        Assert.Equal("transfer", transfer.ToolName);
        Assert.Contains("Transfers over $100", transfer.PolicyReason, StringComparison.Ordinal);
        Assert.Contains(held.Calls, c => c.ToolName == "check_balance" && c.Decision == CallDecisionStatus.AutoAllowed);
        Assert.Equal(TestBank.Start.AddHours(1), held.ExpiresAt);
        Assert.Single(host.Services.GetServices<IHostedService>().OfType<StoreCheckOnStart>());
        Assert.Single(host.Services.GetServices<IHostedService>().OfType<CallRecordFlushOnStop>());
        await host.StopAsync();
    }

    [Fact]
    public async Task AddHumanInLoop_ConfigurationThenCode_CodeAddsToTheConfiguredSets()
    {
        using IHost host = Build(AppSettings("""{ "Granters": [ "alice" ], "DefaultExpiration": "1.00:00:00" }"""), b => b.Services
            .AddHumanInLoop(b.Configuration.GetSection("HumanInLoop"))
            .AddHumanInLoop(o => o.Granters.Add("bob")));
        await host.StartAsync();

        ApprovalOptions options = host.Services.GetRequiredService<IOptions<ApprovalOptions>>().Value;
        Assert.Equal(["alice", "bob"], options.Granters.Order(StringComparer.Ordinal));
        Assert.Equal(TimeSpan.FromDays(1), options.DefaultExpiration);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddHumanInLoop_PolicyVersionFromConfiguration_IsBound()
    {
        using IHost host = Build(AppSettings("""{ "PolicyVersion": "release-2026.12.1" }"""), b => b.Services
            .AddHumanInLoop(b.Configuration.GetSection("HumanInLoop"), o => o.Policies.Add(ApprovalPolicy.Allow("check_balance"))));
        await host.StartAsync();

        Assert.Equal("release-2026.12.1", host.Services.GetRequiredService<IOptions<ApprovalOptions>>().Value.PolicyVersion);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("""{ "DefaultExpiration": "-00:01:00" }""", "DefaultExpiration")]
    [InlineData("""{ "ExecutionLease": "00:00:00" }""", "ExecutionLease")]
    [InlineData("""{ "RejectedRepeatLimit": -1 }""", "RejectedRepeatLimit")]
    [InlineData("""{ "IntegrityKey": "c2hvcnQ=" }""", "IntegrityKey")]
    [InlineData("""{ "Granters": [ " " ] }""", "Granters")]
    [InlineData("""{ "PolicyVersion": " " }""", "PolicyVersion")]
    public async Task Start_SettingOutOfRange_FailsWithOptionsValidationExceptionNamingIt(string section, string setting)
    {
        using IHost host = Build(AppSettings(section), b => b.Services.AddHumanInLoop(b.Configuration.GetSection("HumanInLoop"), o => o.Policies.Add(ApprovalPolicy.Allow("check_balance"))));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"ApprovalOptions.{setting}", Assert.Single(error.Failures), StringComparison.Ordinal);
        Assert.Equal(typeof(ApprovalOptions), error.OptionsType);
    }

    [Fact]
    public async Task Start_SettingOutOfRangeInCode_FailsNamingEverySetting()
    {
        using IHost host = Build("{}", b => b.Services.AddHumanInLoop(o => { o.ExecutionLease = TimeSpan.Zero; o.IdempotentTools.Add(""); }));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains("ApprovalOptions.ExecutionLease", error.Message, StringComparison.Ordinal);
        Assert.Contains("ApprovalOptions.IdempotentTools", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "DefaultExpiry": "1.00:00:00" }""", "DefaultExpiry")]
    [InlineData("""{ "DefaultExpiration": "soon" }""", "HumanInLoop:DefaultExpiration")]
    [InlineData("""{ "Policies": [ "allow everything" ] }""", "Policies")]
    [InlineData("""{ "IntegrityKey": "not base64 text!" }""", "IntegrityKey")]
    public async Task Start_UnknownKeyOrUnconvertibleValue_FailsNamingIt(string section, string named)
    {
        using IHost host = Build(AppSettings(section), b => b.Services.AddHumanInLoop(b.Configuration.GetSection("HumanInLoop")));

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("at 'HumanInLoop'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not base64 text!", error.Message, StringComparison.Ordinal); // a secret's value is never echoed
    }

    [Fact]
    public void ApprovalService_InvalidOptionsInCode_ThrowsArgumentExceptionNamingEachSetting()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            new ApprovalService(new InMemoryStateStore(), new ApprovalOptions { DefaultExpiration = TimeSpan.Zero, IntegrityKey = new byte[16] }));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("ApprovalOptions.DefaultExpiration", error.Message, StringComparison.Ordinal);
        Assert.Contains("ApprovalOptions.IntegrityKey", error.Message, StringComparison.Ordinal);
    }
}
