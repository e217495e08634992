using HumanInLoop.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>AddHumanInLoop's options in a web application: bound from configuration, validated when the app starts.</summary>
public sealed class WebApplicationOptionsTests
{
    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<IStateStore, InMemoryStateStore>();
        builder.Services.AddHumanInLoop(builder.Configuration.GetSection("HumanInLoop"), o => o.Policies.Add(ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.")));
        builder.Services.AddChatClient(_ => new ScriptedChatClient(_ => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer")))).UseFunctionInvocation().UseApprovalGate();
        return builder.Build();
    }

    [Fact]
    public async Task WebApplication_BadSettingInConfiguration_StartFailsNamingIt()
    {
        await using WebApplication app = Build(new() { ["HumanInLoop:DefaultExpiration"] = "1.00:00:00", ["HumanInLoop:RejectedRepeatLimit"] = "-2" });

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("ApprovalOptions.RejectedRepeatLimit", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebApplication_SettingsFromConfiguration_AreUsedByTheGate(bool streaming)
    {
        await using WebApplication app = Build(new() { ["HumanInLoop:DefaultExpiration"] = "04:00:00", ["HumanInLoop:IdempotentTools:0"] = "transfer" });
        await app.StartAsync();
        IChatClient client = app.Services.GetRequiredService<IChatClient>();
        ChatOptions options = new ChatOptions { Tools = ApprovalService.ProtectTools(AIFunctionFactory.Create(() => "sent", "transfer")) }
            .WithCallerContext(new CallerContext { ConversationId = "conv-1", UserId = "carol" });

        PendingApprovalException held = streaming
            ? await Assert.ThrowsAsync<PendingApprovalException>(async () => { await foreach (ChatResponseUpdate _ in client.GetStreamingResponseAsync("send it", options)) { } })
            : await Assert.ThrowsAsync<PendingApprovalException>(() => client.GetResponseAsync("send it", options));

        // Four hours from the hold, as configured (not the three-day default); the clock is the system's here.
        TimeSpan wait = held.Approval.ExpiresAt - held.Approval.CreatedAt;
        Assert.Equal(TimeSpan.FromHours(4), wait);
        Assert.Contains("transfer", app.Services.GetRequiredService<IOptions<ApprovalOptions>>().Value.IdempotentTools);
        await app.StopAsync();
    }
}
