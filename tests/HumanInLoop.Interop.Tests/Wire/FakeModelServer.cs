using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Interop.Tests.Wire;

/// <summary>
/// A model provider's HTTP endpoint on loopback (127.0.0.1, an ephemeral port), answering with a script in the provider's
/// real wire format. It records every request, and refuses (HTTP 400, like the real service) any request that breaks the
/// provider's rules, recording the violation so a test can name it.
/// </summary>
/// <remarks>Thread-safe. Each test starts its own server; dispose it to free the port.</remarks>
public abstract class FakeModelServer : IAsyncDisposable
{
    /// <summary>More requests than this in one test means a runaway loop: refuse them, so the test fails fast.</summary>
    public const int MaxRequests = 12;

    private readonly Lock _lock = new();
    private readonly List<WireRequest> _requests = [];
    private readonly List<string> _violations = [];
    private WebApplication? _app;

    /// <summary>Gets or sets what the model answers to a request.</summary>
    public Func<WireRequest, ModelTurn> Script { get; set; } = BankScript.Respond;

    /// <summary>Gets the address clients use (http://127.0.0.1:port).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Gets every request received, in order.</summary>
    public IReadOnlyList<WireRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets every request the server refused and why, in order; empty when every request was valid.</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_lock)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>Gets the path the provider's chat endpoint lives at.</summary>
    protected abstract string ChatPath { get; }

    /// <summary>Reads a request body into the neutral shape.</summary>
    protected abstract WireRequest Parse(JsonElement body);

    /// <summary>Checks the request against the provider's rules; returns what is wrong, or <see langword="null"/>.</summary>
    protected abstract string? Validate(WireRequest request);

    /// <summary>Writes the provider's error body for a refused request.</summary>
    protected abstract Task WriteErrorAsync(HttpResponse response, string message);

    /// <summary>Writes the turn as the provider would: one JSON body, or a stream, as the request asked.</summary>
    protected abstract Task WriteTurnAsync(HttpResponse response, WireRequest request, ModelTurn turn, CancellationToken cancellationToken);

    public async Task StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPost(ChatPath, HandleAsync);
        await _app.StartAsync();
        string bound = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Address = new Uri(bound);
        Assert.Equal(IPAddress.Loopback.ToString(), Address.Host);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    private async Task HandleAsync(HttpContext http)
    {
        WireRequest? request = null;
        string? violation;
        try
        {
            using JsonDocument document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            request = Parse(document.RootElement.Clone());
            int count;
            lock (_lock)
            {
                _requests.Add(request);
                count = _requests.Count;
            }

            violation = count > MaxRequests
                ? $"More than {MaxRequests} requests in one test: a loop that does not end."
                : Validate(request);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            violation = $"Unreadable request: {exception.Message}";
        }

        if (violation is not null)
        {
            lock (_lock)
            {
                _violations.Add(violation);
            }

            // 400, not 5xx: clients retry server errors, which would only slow the failing test down.
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await WriteErrorAsync(http.Response, violation);
            return;
        }

        await WriteTurnAsync(http.Response, request!, Script(request!), http.RequestAborted);
    }
}
