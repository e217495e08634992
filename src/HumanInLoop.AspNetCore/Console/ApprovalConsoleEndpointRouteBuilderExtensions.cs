using System.Diagnostics.CodeAnalysis;
using HumanInLoop.AspNetCore;
using HumanInLoop.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps HumanInLoop's approver's console in one line: <c>app.MapApprovalConsole("/approvals")</c>.</summary>
public static class ApprovalConsoleEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps a browser console for approvers under <paramref name="prefix"/>: an inbox of what waits (filters, paging, a live count),
    /// each call exactly as it will run, and the decisions (approve, reject with a reason, approve edited arguments, answer in place of the
    /// tool), then the resume when <see cref="ApprovalEndpointOptions.ResumeTarget"/> is set. Its page, scripts and styles are embedded in
    /// this assembly (nothing is fetched from elsewhere) and served with a strict Content-Security-Policy; its data lives under
    /// <c>{prefix}/api</c> and is never cached.
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="prefix">The route prefix: the console is at <c>{prefix}/</c>. Use another prefix than the one of <c>MapApprovalEndpoints</c>.</param>
    /// <param name="configure">Sets who may open the console (<see cref="ApprovalConsoleOptions.OpenPolicy"/>), read-only mode, and the rules shared with the endpoints (<see cref="ApprovalConsoleOptions.Endpoints"/>).</param>
    /// <returns>The route group, to add metadata or filters.</returns>
    /// <remarks>
    /// Decisions and resumes run through the very handlers of <c>MapApprovalEndpoints</c>, with the same checks (the approver and reader
    /// policies, tenants, the approval's own approvers, self-approval, the fingerprint shown, deadlines); the console adds the open policy,
    /// its read-only mode and a mandatory anti-forgery token. Needs <c>services.AddHumanInLoop(...)</c>, authentication,
    /// <c>services.AddAuthorization(...)</c> with the policies named, <c>services.AddAntiforgery()</c>, and <c>app.UseAuthorization()</c>.
    /// For live updates the console adds a notifier to <see cref="HumanInLoop.ApprovalOptions.Notifiers"/>: map it before anything resolves the
    /// <see cref="HumanInLoop.ApprovalService"/> (as maps normally are, before <c>app.Run()</c>); it then hears of changes made in this process.
    /// Changes made by other app servers sharing the store are found by reading it (<see cref="ApprovalConsoleOptions.ChangePollInterval"/>).
    /// </remarks>
    /// <exception cref="InvalidOperationException">The services of HumanInLoop are not registered.</exception>
    public static RouteGroupBuilder MapApprovalConsole(
        this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/approvals", Action<ApprovalConsoleOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        ApprovalConsoleOptions options = new();
        configure?.Invoke(options);
        ApprovalEndpointOptions shared = options.Endpoints.Clone();
        shared.ValidateAntiforgery = true;
        ConsoleSettings settings = new(shared, options.ReadOnly, options.Title) { ReplayCandidates = ConsoleExtras.CopyCandidates(options.ReplayCandidates) };
        ConsoleFeed feed = ConsoleFeed.Attach(endpoints.ServiceProvider, options.ChangePollInterval);
        bool fromOtherServers = options.ChangePollInterval is { } poll && poll > TimeSpan.Zero;

        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        group.WithTags("Approval console").ExcludeFromDescription();
        group.AddEndpointFilter(ConsoleHeaders.AddAsync);
        ConsoleAssets assets = new(settings.Title);
        group.MapGet("/", assets.Index);
        group.MapGet("/assets/{name}", ConsoleAssets.Asset);

        ConsoleDataHandlers data = new(settings);
        group.MapGet("/api/session", data.SessionAsync);
        group.MapGet("/api/antiforgery", ApprovalReadHandlers.AntiforgeryToken);
        group.MapGet("/api/approvals", data.InboxAsync);
        group.MapGet("/api/approvals/{approvalId}", data.GetAsync);
        group.MapGet("/api/approvals/{approvalId}/schemas", new ConsoleSchemaHandler(settings).GetAsync);
        group.MapGet("/api/approvals/{approvalId}/audit", new ConsoleAuditHandler(shared).GetAsync);
        group.MapGet("/api/events", new ConsoleEventsHandler(shared, feed, fromOtherServers).StreamAsync);

        ConsoleExtras.Map(group, settings);

        // The endpoints' own handlers: one code path for a decision or a resume, wherever it is made.
        ApprovalDecideHandler decide = new(shared);
        ApprovalResumeHandler resume = new(shared);
        group.MapPost("/api/approvals/{approvalId}/calls/{callId}/decision", (HttpContext http, string approvalId, string callId, CancellationToken cancellationToken) =>
            settings.ReadOnly ? Task.FromResult<IResult>(ConsoleDataHandlers.ReadOnlyRefusal()) : Wrap(decide.DecideAsync(http, approvalId, callId, cancellationToken)));
        group.MapPost("/api/approvals/{approvalId}/resume", (HttpContext http, string approvalId, CancellationToken cancellationToken) =>
            settings.ReadOnly ? Task.FromResult<IResult>(ConsoleDataHandlers.ReadOnlyRefusal()) : Wrap(resume.ResumeAsync(http, approvalId, cancellationToken)));

        _ = options.OpenPolicy is { } policy ? group.RequireAuthorization(policy) : group.RequireAuthorization();
        return group;
    }

    private static async Task<IResult> Wrap<T>(Task<T> result)
        where T : IResult => await result;
}
