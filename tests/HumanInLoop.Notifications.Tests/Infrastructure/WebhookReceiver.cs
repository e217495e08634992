using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Notifications.Tests.Infrastructure;

/// <summary>A Slack-like incoming webhook on loopback: keeps every JSON message; can fail the next requests with 500.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failNext;
    private Hold? _holdNext;

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Uri { get; private set; } = null!;

    public ConcurrentQueue<JsonObject> Messages { get; } = new();

    public int Requests;

    /// <summary>Gets or sets the clock whose time is noted when each request arrives.</summary>
    public TimeProvider? Clock { get; set; }

    public ConcurrentQueue<DateTimeOffset> RequestTimes { get; } = new();

    /// <summary>Gets the value of the <c>X-Test-Handler</c> header of each request (empty when absent).</summary>
    public ConcurrentQueue<string> HandlerHeaders { get; } = new();

    public void FailNext(int count) => Volatile.Write(ref _failNext, count);

    /// <summary>Holds the next request (before it is answered or kept) until <see cref="Hold.Release"/> is completed.</summary>
    public Hold HoldNext()
    {
        Hold hold = new();
        Volatile.Write(ref _holdNext, hold);
        return hold;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        
        WebApplication app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        WebhookReceiver receiver = new(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            receiver.RequestTimes.Enqueue(receiver.Clock?.GetUtcNow() ?? default);
            receiver.HandlerHeaders.Enqueue(context.Request.Headers["X-Test-Handler"].ToString());
            Interlocked.Increment(ref receiver.Requests);
            if (Interlocked.Exchange(ref receiver._holdNext, null) is { } hold)
            {
                hold.Arrived.TrySetResult();
                await hold.Release.Task;
            }

            if (Interlocked.Decrement(ref receiver._failNext) >= 0)
            {
                return Results.StatusCode(StatusCodes.Status500InternalServerError);
            }

            JsonObject message = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
            receiver.Messages.Enqueue(message);
            return Results.Text("ok");
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Uri = new Uri(address.TrimEnd('/') + "/hook");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed class Hold
    {
        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
