using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The console's live updates as Server-Sent Events: <c>event: changed</c> with the approval id and what happened, for every change
/// the user may read (the reader policy and the tenant, asked for each), whether made in this process or found in the store by the
/// feed's reader of other servers' changes. The page then reads the inbox again. Thread-safe.
/// </summary>
internal sealed class ConsoleEventsHandler(ApprovalEndpointOptions options, ConsoleFeed feed, bool fromOtherServers)
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public async Task StreamAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, options.ReaderPolicy, null) is { } refused)
        {
            await refused.ExecuteAsync(http);
            return;
        }

        (ApprovalService? approvals, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            await noTenant.ExecuteAsync(http);
            return;
        }

        string? tenant = approvals!.TenantId;
        using ConsoleFeed.Subscription subscription = feed.Subscribe(fromOtherServers);
        http.Response.ContentType = "text/event-stream";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await WriteAsync(http, "retry: 3000\n: connected\n\n", cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                using CancellationTokenSource wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(Heartbeat);
                ApprovalNotification change;
                try
                {
                    change = await subscription.Changes.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await WriteAsync(http, ": heartbeat\n\n", cancellationToken);
                    continue;
                }

                PendingApproval approval = change.Approval;
                if ((tenant is not null && !string.Equals(approval.Context.TenantId, tenant, StringComparison.Ordinal)) ||
                    await AuthorizeAsync(http, options.ReaderPolicy, approval) is not null)
                {
                    continue; // not the user's to see: not even its id
                }

                string data = JsonSerializer.Serialize(new Dictionary<string, string?>
                {
                    ["approvalId"] = approval.Id,
                    ["kind"] = change.Kind.ToString(),
                    ["status"] = approval.Status.ToString(),
                });
                await WriteAsync(http, $"event: changed\ndata: {data}\n\n", cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page closed or the host is stopping.
        }
        catch (IOException)
        {
            // The connection dropped; the page reconnects by itself.
        }
    }

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.WriteAsync(text, cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }
}
