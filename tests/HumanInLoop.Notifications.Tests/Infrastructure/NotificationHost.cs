using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Notifications.Tests.Infrastructure;

/// <summary>The library alone in a generic host (no web): the gate over a scripted model, the delivery service, and test channels.</summary>
internal sealed class NotificationHost : IAsyncDisposable
{
    private NotificationHost(IHost host, FakeTimeProvider time)
    {
        Host = host;
        Time = time;
        Approvals = host.Services.GetRequiredService<ApprovalService>();
        Client = new ChatClientBuilder(new ScriptedChatClient(_ => ScriptedChatClient.Calls(
            ScriptedChatClient.Call("c1", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = "500.00" })))).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
    }

    public IHost Host { get; }

    public FakeTimeProvider Time { get; }

    public ApprovalService Approvals { get; }

    public IChatClient Client { get; }

    public static async Task<NotificationHost> StartAsync(FakeTimeProvider time, Action<IServiceCollection> configure)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddHumanInLoop(options => options.Policies.Add(ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.")));
        configure(builder.Services);
        IHost host = builder.Build();
        await host.StartAsync();
        return new NotificationHost(host, time);
    }

    /// <summary>Makes the gate pause one transfer; returns the saved approval.</summary>
    public async Task<PendingApproval> PauseAsync(string conversationId = "conv-1")
    {
        AIFunction transfer = AIFunctionFactory.Create((string to, string amount) => "sent", "transfer");
        ChatOptions options = new ChatOptions { Tools = ApprovalService.ProtectTools(transfer) }.WithCallerContext(new CallerContext { ConversationId = conversationId });
        PendingApprovalException pause = await Assert.ThrowsAsync<PendingApprovalException>(() => Client.GetResponseAsync([new ChatMessage(ChatRole.User, "pay")], options));
        return pause.Approval;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}

/// <summary>A channel that records every attempt (with the fake time) and fails the first ones.</summary>
internal sealed class RecordingChannel(string name, int failures = 0) : IApprovalChannel
{
    private int _remainingFailures = failures;

    public string Name => name;

    public TimeProvider? Time { get; set; }

    public System.Collections.Concurrent.ConcurrentQueue<(ApprovalDelivery Delivery, DateTimeOffset At, bool Failed)> Attempts { get; } = new();

    public IEnumerable<ApprovalDelivery> Delivered => Attempts.Where(a => !a.Failed).Select(a => a.Delivery);

    public void FailNext(int count) => Volatile.Write(ref _remainingFailures, count);

    public Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken)
    {
        bool fail = Interlocked.Decrement(ref _remainingFailures) >= 0;
        Attempts.Enqueue((delivery, Time?.GetUtcNow() ?? default, fail));
        return fail ? Task.FromException(new HttpRequestException("The endpoint is down.")) : Task.CompletedTask;
    }
}
