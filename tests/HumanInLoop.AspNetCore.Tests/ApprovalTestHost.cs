using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;
using HumanInLoop.AspNetCore;
using HumanInLoop.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>
/// A real ASP.NET Core pipeline on the test server: header authentication (X-Test-User, X-Test-Roles), the approver policy,
/// anti-forgery, an in-memory store on a fake clock, a scripted model, a counting bank, the approval endpoints under
/// /approvals and a chat endpoint streaming with the SSE helpers.
/// </summary>
public sealed class ApprovalTestHost : IAsyncDisposable
{
    public const string ApproverRole = "approver";
    private readonly WebApplication _app;

    private ApprovalTestHost(WebApplication app, FakeTimeProvider time, ScriptedChatClient model)
    {
        _app = app;
        Time = time;
        Model = model;
        Approvals = app.Services.GetRequiredService<ApprovalService>();
    }

    public FakeTimeProvider Time { get; }
    public ScriptedChatClient Model { get; }
    public ApprovalService Approvals { get; }
    public ConcurrentQueue<(string To, decimal Amount)> Transfers { get; } = new();
    public ConcurrentQueue<ChatSseCompletedArguments> Completions { get; } = new();
    public TestServer Server => _app.GetTestServer();

    public static async Task<ApprovalTestHost> StartAsync(
        bool preventSelfApproval = false, bool configureResume = true, Action<ApprovalEndpointOptions>? configure = null,
        Action<Microsoft.AspNetCore.Authorization.AuthorizationOptions>? authorization = null, Action<ApprovalOptions>? approvals = null,
        Action<ApprovalConsoleOptions>? console = null, Action<IServiceCollection>? services = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        ScriptedChatClient model = new(Script);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(o =>
        {
            o.AddPolicy(ApprovalEndpointOptions.DefaultApproverPolicy, p => p.RequireRole(ApproverRole));
            authorization?.Invoke(o);
        });
        builder.Services.AddAntiforgery();
        services?.Invoke(builder.Services);
        builder.Services.AddHumanInLoop(o =>
        {
            o.Policies.Add(ApprovalPolicy.Allow("check_balance", "deposit"));
            o.Policies.Add(ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 100, "Transfers over $100 need a person."));
            o.Policies.Add(ApprovalPolicy.RequireApproval("wire", "Wires need the treasurer.", approvers: ["treasurer"]));
            o.PreventSelfApproval = preventSelfApproval;
            approvals?.Invoke(o);
        });
        WebApplication app = builder.Build();
        ApprovalTestHost? host = null;
        IChatClient? pipeline = null;
        if (console is not null)
        {
            // Mapped before anything builds the ApprovalService, as a host maps it: the console's live feed joins its notifiers.
            app.UseAuthorization();
            app.MapApprovalConsole("/console", o =>
            {
                o.Endpoints.ResumeTarget = _ => ValueTask.FromResult(new ApprovalResumeTarget(pipeline!, host!.ChatOptions(null, null)));
                console(o);
            });
        }

        IChatClient gated = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(app.Services.GetRequiredService<ApprovalService>()).Build();
        pipeline = gated;

        app.MapApprovalEndpoints("/approvals", o =>
        {
            if (configureResume)
            {
                o.ResumeTarget = _ => ValueTask.FromResult(new ApprovalResumeTarget(gated, host!.ChatOptions(null, null)));
            }

            configure?.Invoke(o);
        });
        app.MapPost("/chat", (ChatPost post, HttpContext http, CancellationToken cancellationToken) =>
        {
            string user = http.User.Identity?.Name ?? "anonymous";
            ChatSseOptions stream = new()
            {
                ConversationId = post.ConversationId,
                Viewer = post.ShowViewer ? new ApprovalEndpointOptions().ApproverFromUser(http.User) : null,
                OnCompleted = (completion, _) => { host!.Completions.Enqueue(completion); return ValueTask.CompletedTask; },
            };
            var events = gated.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, post.Message)],
                host!.ChatOptions(post.ConversationId, user, http.User.FindFirst(HeaderAuthenticationHandler.TenantClaim)?.Value), cancellationToken).ToServerSentEvents(stream, cancellationToken);
#if NET10_0_OR_GREATER
            return TypedResults.ServerSentEvents(events);
#else
            // ASP.NET Core 8 and 9 have no ServerSentEvents result: the library's own stand-in writes the same stream.
            return new HumanInLoop.AspNetCore.Internal.ServerSentEventsStreamResult(events);
#endif
        });

        host = new ApprovalTestHost(app, time, model);
        await app.StartAsync();
        return host;
    }

    public ChatOptions ChatOptions(string? conversationId, string? userId, string? tenantId = null)
    {
        AIFunction transfer = AIFunctionFactory.Create((string to, decimal amount) => { Transfers.Enqueue((to, amount)); return $"sent {amount} to {to}"; }, "transfer");
        AIFunction wire = AIFunctionFactory.Create((string to, decimal amount) => { Transfers.Enqueue(("wire:" + to, amount)); return "wired"; }, "wire");
        AIFunction balance = AIFunctionFactory.Create(() => 1000m, "check_balance");
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(transfer, wire, balance) };
        return conversationId is null ? options : options.WithCallerContext(new CallerContext { ConversationId = conversationId, UserId = userId, TenantId = tenantId });
    }

    /// <summary>A client signed in as <paramref name="user"/> (none: anonymous) with its own cookie jar.</summary>
    public TestUser Client(string? user, params string[] roles) => TenantClient(user, null, roles);

    /// <summary>A client signed in as <paramref name="user"/> of <paramref name="tenant"/> (a <see cref="HeaderAuthenticationHandler.TenantClaim"/> claim).</summary>
    public TestUser TenantClient(string? user, string? tenant, params string[] roles)
    {
        CookieHandler cookies = new(Server.CreateHandler());
        HttpClient client = new(cookies) { BaseAddress = new Uri("http://localhost") };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.UserHeader, user);
            client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.RolesHeader, string.Join(',', roles));
        }

        if (tenant is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.TenantHeader, tenant);
        }

        return new TestUser(client, _app.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>>().Value.HeaderName!);
    }

    /// <summary>Pauses a conversation of <paramref name="requester"/> on "transfer {amount} to bob" and returns the approval.</summary>
    public async Task<PendingApproval> PauseAsync(string message = "transfer 150 to bob", string requester = "carol", string conversationId = "conv-1", string? tenant = null)
    {
        TestUser client = TenantClient(requester, tenant);
        using HttpResponseMessage response = await client.Http.PostAsJsonAsync("/chat", new ChatPost(message, conversationId));
        List<SseEvent> events = await SseEvent.ReadAllAsync(response);
        string id = events[^1].Data.GetProperty("approvalId").GetString()!;
        return await Approvals.GetAsync(id);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>"transfer N to X", "wire N to X", "balance", "balance and transfer N to X", "fail"; after tool results, a report.</summary>
    private static ChatResponse Script(IReadOnlyList<ChatMessage> messages)
    {
        ChatMessage last = messages[^1];
        if (last.Role == ChatRole.Tool)
        {
            IEnumerable<string> results = last.Contents.OfType<FunctionResultContent>().Select(r => $"{r.CallId}={r.Result}");
            return ScriptedChatClient.Text("Done. " + string.Join("; ", results));
        }

        string[] words = last.Text.ToLowerInvariant().Split(' ');
        FunctionCallContent Money(string callId, string tool, int amountAt) => ScriptedChatClient.Call(callId, tool,
            new Dictionary<string, object?> { ["to"] = words[^1], ["amount"] = decimal.Parse(words[amountAt], System.Globalization.CultureInfo.InvariantCulture) });
        return words[0] switch
        {
            "fail" => throw new InvalidOperationException("secret internal detail"),
            "transfer" => ScriptedChatClient.TextAndCalls("Sending it now.", Money("c-tr", "transfer", 1)),
            "wire" => ScriptedChatClient.Calls(Money("c-wire", "wire", 1)),
            "balance" when words.Length > 1 => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-bal", "check_balance"), Money("c-tr", "transfer", 3)),
            "balance" => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-bal", "check_balance")),
            _ => ScriptedChatClient.Text("Hello, how can I help?"),
        };
    }
}

public sealed record TransferArgs(string To, decimal Amount);

public sealed record ChatPost(string Message, string? ConversationId, bool ShowViewer = false);

/// <summary>A signed-in test user: its client (with cookies) and, once fetched, its anti-forgery token.</summary>
public sealed class TestUser(HttpClient http, string headerName)
{
    public HttpClient Http { get; } = http;
    public string HeaderName { get; } = headerName;
    public string? Token { get; private set; }

    public async Task<string> TokenAsync()
    {
        if (Token is null)
        {
            AntiforgeryTokenResult result = (await Http.GetFromJsonAsync<AntiforgeryTokenResult>("/approvals/antiforgery"))!;
            Assert.Equal(HeaderName, result.HeaderName);
            Token = result.Token;
        }

        return Token;
    }

    public async Task<HttpResponseMessage> DecideAsync(string approvalId, string callId, object body, bool withToken = true, string? token = null)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/{approvalId}/calls/{callId}/decision") { Content = JsonContent.Create(body) };
        if (withToken)
        {
            request.Headers.Add(HeaderName, token ?? await TokenAsync());
        }

        return await Http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> ResumeAsync(string approvalId, bool withToken = true)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/{approvalId}/resume");
        if (withToken)
        {
            request.Headers.Add(HeaderName, await TokenAsync());
        }

        return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}

/// <summary>Authenticates from the X-Test-User and X-Test-Roles headers (tests only).</summary>
public sealed class HeaderAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "TestHeader";
    public const string UserHeader = "X-Test-User";
    public const string RolesHeader = "X-Test-Roles";
    public const string TenantHeader = "X-Test-Tenant";
    public const string TenantClaim = "tenant_id";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(UserHeader, out var user) || string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        List<Claim> claims = [new(ClaimTypes.NameIdentifier, user!), new(ClaimTypes.Name, user!)];
        foreach (string role in Request.Headers[RolesHeader].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            claims.Add(new Claim(ClaimTypes.Role, role));
        }

        if (Request.Headers.TryGetValue(TenantHeader, out var tenant) && !string.IsNullOrEmpty(tenant))
        {
            claims.Add(new Claim(TenantClaim, tenant!));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName)));
    }
}

/// <summary>Keeps cookies between requests (the test server's handler has none).</summary>
public sealed class CookieHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly CookieContainer _cookies = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string header = _cookies.GetCookieHeader(request.RequestUri!);
        if (header.Length > 0)
        {
            request.Headers.Add("Cookie", header);
        }

        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? values))
        {
            foreach (string value in values)
            {
                _cookies.SetCookies(request.RequestUri!, value);
            }
        }

        return response;
    }
}

/// <summary>One parsed Server-Sent Event.</summary>
public sealed record SseEvent(string Event, JsonElement Data)
{
    public static async Task<List<SseEvent>> ReadAllAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string body = await response.Content.ReadAsStringAsync();
        List<SseEvent> events = [];
        foreach (string block in body.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string name = "message";
            List<string> data = [];
            foreach (string line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Add(line["data: ".Length..]);
                }
            }

            using JsonDocument document = JsonDocument.Parse(string.Join('\n', data));
            events.Add(new SseEvent(name, document.RootElement.Clone()));
        }

        return events;
    }
}
