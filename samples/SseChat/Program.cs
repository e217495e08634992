using HumanInLoop;
using HumanInLoop.AspNetCore;
using HumanInLoop.Samples;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.AI;
using SseChat;
using SseChat.Bank;
using SseChat.Chat;

// The content root is the app's own folder, so `dotnet SseChat.dll` finds wwwroot from any working directory.
WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Everything that must outlive a restart lives in one folder: the SQLite file (approvals, conversations, bank) and the
// data-protection keys that sign the auth and anti-forgery cookies (so a signed-in page keeps working after a restart).
string dataDirectory = Path.GetFullPath(builder.Configuration["SseChat:DataDirectory"] ?? Path.Combine(AppContext.BaseDirectory, "App_Data"));
Directory.CreateDirectory(dataDirectory);
string database = Path.Combine(dataDirectory, "sse-chat.db");

builder.Services.AddDataProtection()
    .SetApplicationName("SseChat")
    .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));

builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options =>
{
    options.Cookie.Name = "ssechat.auth";
    options.Cookie.HttpOnly = true;
    options.Cookie.SameSite = SameSiteMode.Strict;
    options.ExpireTimeSpan = TimeSpan.FromHours(8);
    options.SlidingExpiration = true;

    // An API answers 401/403 rather than redirecting to a login page.
    options.Events.OnRedirectToLogin = context => { context.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
    options.Events.OnRedirectToAccessDenied = context => { context.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
});
builder.Services.AddAuthorization(options =>
{
    options.AddPolicy(ApprovalEndpointOptions.DefaultApproverPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(BankTools.ApproverRole));
    options.AddPolicy(AccountEndpoints.ReaderPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(BankTools.ApproverRole, AccountEndpoints.AuditorRole));
});
builder.Services.AddAntiforgery(options =>
{
    options.HeaderName = "X-CSRF-TOKEN";
    options.Cookie.Name = "ssechat.csrf";
    options.Cookie.SameSite = SameSiteMode.Strict;
});
builder.Services.AddProblemDetails();

// The settings that are data (deadlines, self-approval, granters...) from the "HumanInLoop" section of appsettings.json,
// checked when the app starts; the policies in code.
builder.Services.AddHumanInLoop(builder.Configuration.GetSection("HumanInLoop"), BankTools.Configure);
builder.Services.AddHumanInLoopSqlite($"Data Source={database}");
builder.Services.AddSingleton(new SqliteBank(database));
builder.Services.AddSingleton(new ConversationStore(database));
// Tells the requester's open chat page when its approval is decided or its conversation saved elsewhere (the console, the inbox).
builder.Services.AddSingleton<ConversationEvents>();
builder.Services.AddSingleton<IApprovalNotifier>(services => services.GetRequiredService<ConversationEvents>());

// The offline scripted model unless an OpenAI-compatible endpoint is configured (checked here, once; a bad setting stops
// the start with a message saying what to set). Function invocation outside, the approval gate between it and the model.
ModelSettings? model = ModelSettings.Read(builder.Configuration);
TimeSpan wordDelay = TimeSpan.FromMilliseconds(builder.Configuration.GetValue("SseChat:WordDelayMs", 25));
builder.Services.AddChatClient(model?.CreateChatClient() ?? new ScriptedBankModel(wordDelay)).UseFunctionInvocation().UseApprovalGate();

WebApplication app = builder.Build();
ModelSettings.LogModel(app.Logger, model?.ToString() ?? "the offline scripted stand-in (ScriptedBankModel); set Model:Endpoint and Model:Name for a real one");
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();

AccountEndpoints.Map(app);
ChatEndpoints.Map(app);
app.MapApprovalEndpoints("/api/approvals", options => options.ResumeTarget = ChatEndpoints.ResumeTargetAsync);
// The approver's console (tellers decide; auditors only read), on the same rules and decision path as the endpoints above.
app.MapApprovalConsole("/approvals", options =>
{
    options.OpenPolicy = options.Endpoints.ReaderPolicy = AccountEndpoints.ReaderPolicy;
    options.Endpoints.ResumeTarget = ChatEndpoints.ResumeTargetAsync;
    options.ReplayCandidates["Transfers up to $500 run alone"] = BankTools.UpTo500Alone();
});
app.MapGet("/healthz", () => TypedResults.Ok("ok"));

app.Run();
