using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace HumanInLoop.Rules.Tests;

/// <summary>Rules registered with AddHumanInLoopRules in a real host: checked at start, reloaded on change, refused whole when wrong.</summary>
public sealed class RuleHostingTests
{
    private const string Section = "HumanInLoopRules";

    private static Dictionary<string, string?> Settings(string limit = "100", string? pin = null, string? label = "limits")
    {
        Dictionary<string, string?> settings = new()
        {
            ["HumanInLoop:DefaultExpiration"] = "04:00:00",
            [$"{Section}:Rules:big-transfers:Tool"] = "transfer_funds",
            [$"{Section}:Rules:big-transfers:When"] = $"amount > {limit}",
            [$"{Section}:Rules:big-transfers:Verdict"] = "RequireApproval",
            [$"{Section}:Rules:big-transfers:Reason"] = $"Transfers over {limit} need a person.",
            [$"{Section}:Rules:small-transfers:Tool"] = "transfer_funds",
            [$"{Section}:Rules:small-transfers:When"] = $"amount <= {limit}",
            [$"{Section}:Rules:small-transfers:Verdict"] = "Allow",
        };
        if (label is not null)
        {
            settings[$"{Section}:Label"] = label;
        }

        if (pin is not null)
        {
            settings[$"{Section}:Pin"] = pin;
        }

        return settings;
    }

    /// <summary>A host as an application builds it: configuration, logs, the fake clock, AddHumanInLoop and the rules, a scripted model behind the gate.</summary>
    private static IHost Build(RulesBank bank, IDictionary<string, string?> settings, FakeLogCollector? logs = null, bool recordCalls = false)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(logs ?? new FakeLogCollector()));
        builder.Services.AddSingleton<TimeProvider>(bank.Time);
        builder.Services.AddHumanInLoop(builder.Configuration.GetSection("HumanInLoop"), o => o.RecordCalls = recordCalls);
        builder.Services.AddHumanInLoopRules(builder.Configuration.GetSection(Section), bank.Tools);
        // Spy on the rules the container holds, so that the test sees each verdict with its version.
        ServiceDescriptor rules = builder.Services.Last(d => d.ServiceType == typeof(IApprovalPolicy));
        builder.Services.Remove(rules);
        builder.Services.AddSingleton(provider => bank.Spy((IApprovalPolicy)rules.ImplementationFactory!(provider)));
        builder.Services.AddChatClient(_ => bank.Model).UseFunctionInvocation().UseApprovalGate();
        return builder.Build();
    }

    private static void Change(IHost host, Action<IConfiguration> edit)
    {
        IConfigurationRoot root = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        edit(root);
        root.Reload();
    }

    [Theory]
    [InlineData("When", "amount > 'x'", "HumanInLoopRules:Rules:big-transfers:When: The right side of 'Greater' (the left side's type) must be a number, not a string.")]
    [InlineData("When", "amount >", "HumanInLoopRules:Rules:big-transfers:When: The condition does not parse")]
    [InlineData("When", "amout > 100", "HumanInLoopRules:Rules:big-transfers:When: The name 'amout' is neither an argument")]
    [InlineData("Tool", "wire_money", "HumanInLoopRules:Rules:big-transfers:Tool: 'wire_money' names no tool given to the rules")]
    [InlineData("Verdict", "Requireapproval!", "HumanInLoopRules:Rules:big-transfers:Verdict: 'Requireapproval!' is not a verdict")]
    [InlineData("Approver", "payments", "HumanInLoopRules:Rules:big-transfers:Approver: unknown key")]
    public async Task BadRule_StopsTheHostAtStart_NamingItsPath(string key, string value, string problem)
    {
        RulesBank bank = new();
        Dictionary<string, string?> settings = Settings();
        settings[$"{Section}:Rules:big-transfers:{key}"] = value;
        using IHost host = Build(bank, settings);
        OptionsValidationException refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(refused.Failures, f => f.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PinMismatch_StopsTheHostAtStart()
    {
        RulesBank bank = new();
        using IHost host = Build(bank, Settings(pin: "sha256:" + new string('0', 64)));
        OptionsValidationException refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(refused.Failures, f => f.StartsWith("HumanInLoopRules:Pin: the rules' hash is sha256:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_ChangesTheLimitBetweenTwoCalls_WithoutRestart_AndTheVerdictsNameDifferentVersions()
    {
        RulesBank bank = new();
        using IHost host = Build(bank, Settings());
        await host.StartAsync();
        IChatClient gate = host.Services.GetRequiredService<IChatClient>();
        bank.NextArguments = RulesBank.TransferOf(300m);
        Assert.NotNull(await bank.SendAsync(gate));

        Change(host, c =>
        {
            c[$"{Section}:Rules:big-transfers:When"] = "amount > 500";
            c[$"{Section}:Rules:small-transfers:When"] = "amount <= 500";
        });
        Assert.Null(await bank.SendAsync(gate));
        Assert.Equal(["transfer 300 EUR to bob"], bank.Ran);

        PolicyVerdict[] verdicts = [.. bank.Verdicts];
        Assert.Equal([PolicyVerdictKind.RequireApproval, PolicyVerdictKind.Allow], verdicts.Select(v => v.Kind));
        Assert.Equal(["big-transfers", "small-transfers"], verdicts.Select(v => v.Rule));
        Assert.NotEqual(verdicts[0].Version, verdicts[1].Version);
        Assert.All(verdicts, v => Assert.Matches("^limits sha256:[0-9a-f]{16}$", v.Version!));
        await host.StopAsync();
    }

    [Fact]
    public async Task Reload_BetweenTwoCalls_TheStoredRecordsNameTheRuleAndTheVersionEachWasJudgedBy()
    {
        RulesBank bank = new();
        using IHost host = Build(bank, Settings(), recordCalls: true);
        await host.StartAsync();
        IChatClient gate = host.Services.GetRequiredService<IChatClient>();
        ApprovalService approvals = host.Services.GetRequiredService<ApprovalService>();
        bank.NextArguments = RulesBank.TransferOf(300m);
        PendingApproval held = (await bank.SendAsync(gate))!;

        Change(host, c =>
        {
            c[$"{Section}:Rules:big-transfers:When"] = "amount > 500";
            c[$"{Section}:Rules:small-transfers:When"] = "amount <= 500";
        });
        Assert.Null(await bank.SendAsync(gate));
        await approvals.FlushCallRecordsAsync();

        // Read back from the store, not from the verdicts in memory: the held call and the call allowed after the reload.
        PendingToolCall stored = Assert.Single((await approvals.GetAsync(held.Id)).Calls);
        Assert.Equal(["rules/big-transfers"], stored.Policies);
        RecordedCall allowed = Assert.Single(await approvals.History.ReadAsync().ToListAsync(), c => c.Verdict.Kind == PolicyVerdictKind.Allow);
        Assert.Equal(["rules/small-transfers"], allowed.Verdict.Policies);
        string before = Assert.Single(stored.PolicyVersions);
        string after = Assert.Single(allowed.Verdict.PolicyVersions);
        Assert.NotEqual(before, after);
        Assert.All([before, after], v => Assert.Matches("^limits sha256:[0-9a-f]{16}$", v));
        await host.StopAsync();
    }

    [Fact]
    public async Task InvalidReload_KeepsTheLastValidSet_IsLoggedAndCounted()
    {
        RulesBank bank = new();
        FakeLogCollector logs = new();
        using IHost host = Build(bank, Settings(), logs);
        using MetricCollector<long> refused = new(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "HumanInLoop", "humaninloop.rules.reloads.refused");
        await host.StartAsync();
        IChatClient gate = host.Services.GetRequiredService<IChatClient>();
        bank.NextArguments = RulesBank.TransferOf(300m);
        Assert.NotNull(await bank.SendAsync(gate));

        // Half of the change is fine (a higher limit), half is not (a misspelled argument): the whole change is refused.
        Change(host, c =>
        {
            c[$"{Section}:Rules:big-transfers:When"] = "amount > 500";
            c[$"{Section}:Rules:small-transfers:When"] = "amout <= 500";
        });
        Assert.NotNull(await bank.SendAsync(gate));
        Assert.Empty(bank.Ran);
        PolicyVerdict[] verdicts = [.. bank.Verdicts];
        Assert.Equal(verdicts[0].Version, verdicts[1].Version);
        Assert.Equal("big-transfers", verdicts[1].Rule);

        Assert.Equal(1, refused.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("HumanInLoopRules:Rules:small-transfers:When", StringComparison.Ordinal)
            && r.Message.Contains(verdicts[0].Version!, StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task Reload_NotMatchingThePin_IsRefused_AndAMatchingOneIsTaken()
    {
        RulesBank bank = new();
        string hash100 = Hash(bank, "100");
        string hash500 = Hash(bank, "500");
        using IHost host = Build(bank, Settings(pin: hash100));
        using MetricCollector<long> refused = new(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "HumanInLoop", "humaninloop.rules.reloads.refused");
        await host.StartAsync();
        IChatClient gate = host.Services.GetRequiredService<IChatClient>();
        bank.NextArguments = RulesBank.TransferOf(300m);

        // The rules change but the pin does not: refused, the pinned set stays.
        Change(host, c =>
        {
            c[$"{Section}:Rules:big-transfers:When"] = "amount > 500";
            c[$"{Section}:Rules:big-transfers:Reason"] = "Transfers over 500 need a person.";
            c[$"{Section}:Rules:small-transfers:When"] = "amount <= 500";
        });
        Assert.NotNull(await bank.SendAsync(gate));
        Assert.Equal(1, refused.GetMeasurementSnapshot().Sum(m => m.Value));

        // The pin moves with them: taken.
        Change(host, c => c[$"{Section}:Pin"] = hash500);
        Assert.Null(await bank.SendAsync(gate));
        Assert.Equal(1, refused.GetMeasurementSnapshot().Sum(m => m.Value));
        await host.StopAsync();
    }

    [Fact]
    public async Task JsonFileWithReloadOnChange_EditedOnDisk_TakesEffectOnALaterCall()
    {
        RulesBank bank = new();
        string directory = Directory.CreateTempSubdirectory("hil-rules-").FullName;
        string file = Path.Combine(directory, "rules.json");
        await File.WriteAllTextAsync(file, $$"""{ "HumanInLoopRules": {{RuleGateTests.BigTransfers}} }""");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Configuration.AddJsonFile(file, optional: false, reloadOnChange: true);
        builder.Services.AddSingleton<TimeProvider>(bank.Time);
        builder.Services.AddHumanInLoop(o => o.RecordCalls = false);
        builder.Services.AddHumanInLoopRules(builder.Configuration.GetSection(Section), bank.Tools);
        builder.Services.AddChatClient(_ => bank.Model).UseFunctionInvocation().UseApprovalGate();
        using IHost host = builder.Build();
        await host.StartAsync();
        IChatClient gate = host.Services.GetRequiredService<IChatClient>();
        bank.NextArguments = RulesBank.TransferOf(300m);
        Assert.NotNull(await bank.SendAsync(gate));

        await File.WriteAllTextAsync(file, $$"""{ "HumanInLoopRules": {{RuleGateTests.BigTransfers.Replace("100", "500", StringComparison.Ordinal)}} }""");
        // The file watcher reports the change after a moment; until then the old set holds the call (never both, never neither).
        DateTime until = DateTime.UtcNow.AddSeconds(30);
        while (await bank.SendAsync(gate) is not null && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.Equal(["transfer 300 EUR to bob"], bank.Ran);
        await host.StopAsync();
    }

    /// <summary>The hash of the settings' rules with a limit, read the way a risk team would compute a pin: from the same rules as a JSON file.</summary>
    private static string Hash(RulesBank bank, string limit)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings(limit, label: null)).Build();
        string json = System.Text.Json.JsonSerializer.Serialize(new
        {
            Rules = configuration.GetSection($"{Section}:Rules").GetChildren().ToDictionary(
                r => r.Key, r => r.GetChildren().ToDictionary(c => c.Key, c => c.Value)),
        });
        return ApprovalRuleSet.FromJson(json, bank.Tools).Hash;
    }
}
