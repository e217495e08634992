using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The console's report, replay and grants routes. The grants are the grant endpoints' own handlers (one code path for a revoke),
/// with the console's anti-forgery and read-only mode; a read-only console refuses a revoke with 403 before anything is read.
/// </summary>
internal static class ConsoleExtras
{
    public static void Map(RouteGroupBuilder group, ConsoleSettings settings)
    {
        group.MapGet("/api/report", new ConsoleReportHandler(settings.Endpoints).GetAsync);
        group.MapGet("/api/replay", new ConsoleReplayHandler(settings).GetAsync);

        ApprovalGrantHandlers grants = new(settings.Endpoints);
        group.MapGet("/api/grants", grants.ListAsync);
        group.MapPost("/api/grants/{grantId}/revoke", async (HttpContext http, string grantId, CancellationToken cancellationToken) =>
            settings.ReadOnly ? ConsoleDataHandlers.ReadOnlyRefusal() : (IResult)await grants.RevokeAsync(http, grantId, cancellationToken));
    }

    public static IReadOnlyDictionary<string, IReadOnlyList<IApprovalPolicy>> CopyCandidates(IDictionary<string, IReadOnlyList<IApprovalPolicy>> candidates)
    {
        Dictionary<string, IReadOnlyList<IApprovalPolicy>> copy = new(StringComparer.Ordinal);
        foreach ((string name, IReadOnlyList<IApprovalPolicy> policies) in candidates)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            ArgumentNullException.ThrowIfNull(policies);
            if (policies.Count == 0 || policies.Any(p => p is null))
            {
                throw new ArgumentException($"The replay candidate '{name}' needs at least one policy and no null entry.", nameof(candidates));
            }

            copy[name] = [.. policies];
        }

        return copy;
    }
}
