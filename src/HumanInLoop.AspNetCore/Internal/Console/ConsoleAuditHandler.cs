using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// One approval's audit trail. Loading an approval verifies its hash chain (and the record's seal, with an integrity key), so a
/// trail that loads is shown as verified; a break is answered as a break, with the reason and no entries. Thread-safe.
/// </summary>
internal sealed class ConsoleAuditHandler(ApprovalEndpointOptions options)
{
    public async Task<Results<Ok<ConsoleAuditTrail>, ProblemHttpResult>> GetAsync(HttpContext http, string approvalId, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, options.ReaderPolicy, null) is { } notReader)
        {
            return notReader;
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        bool keyed = http.RequestServices.GetService<IOptions<ApprovalOptions>>()?.Value.IntegrityKey.IsEmpty == false;
        PendingApproval approval;
        try
        {
            approval = await approvals!.GetApprovalAsync(approvalId, cancellationToken);
        }
        catch (ApprovalIntegrityException exception)
        {
            // The record failed its checks, so the reader policy cannot be asked about it: its entries stay hidden (fail closed).
            return TypedResults.Ok(new ConsoleAuditTrail(approvalId, false, keyed, $"The audit trail is broken: {exception.Message}", []));
        }
        catch (ApprovalStateFormatException)
        {
            return TypedResults.Ok(new ConsoleAuditTrail(approvalId, false, keyed, "The stored approval cannot be read, so its audit trail cannot be verified.", []));
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }

        if (await RefuseUnlessAllowedAsync(http, options, options.ReaderPolicy, approval) is { } refused)
        {
            return refused;
        }

        return TypedResults.Ok(new ConsoleAuditTrail(approval.Id, true, keyed, null, [.. approval.AuditTrail.Select(ConsoleAuditEntry.From)]));
    }
}
