using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.AI;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The JSON schemas of an approval's tools, for the console's edit form. The store keeps no schema: they come from the tools the
/// host's <see cref="ApprovalEndpointOptions.ResumeTarget"/> gives for the approval (built, never invoked). Empty without one, in
/// a read-only console, or for a user who may not decide. Thread-safe.
/// </summary>
internal sealed class ConsoleSchemaHandler(ConsoleSettings settings)
{
    private readonly ApprovalEndpointOptions _options = settings.Endpoints;

    public async Task<Results<Ok<Dictionary<string, JsonElement>>, ProblemHttpResult>> GetAsync(HttpContext http, string approvalId, CancellationToken cancellationToken)
    {
        (PendingApproval? found, _, ProblemHttpResult? refused) = await ReadAsReaderAsync(http, _options, approvalId, cancellationToken);
        if (found is not { } approval)
        {
            return refused!;
        }

        Dictionary<string, JsonElement> schemas = new(StringComparer.Ordinal);
        if (settings.ReadOnly || _options.ResumeTarget is not { } resolveTarget || await AuthorizeAsync(http, _options.ApproverPolicy, approval) is not null)
        {
            return TypedResults.Ok(schemas);
        }

        ApprovalResumeTarget target = await resolveTarget(new ApprovalResumeArguments(http, approval));
        foreach (AIFunction function in target.Options?.Tools?.OfType<AIFunction>() ?? [])
        {
            if (approval.Calls.Any(call => string.Equals(call.ToolName, function.Name, StringComparison.Ordinal)))
            {
                schemas[function.Name] = function.JsonSchema;
            }
        }

        return TypedResults.Ok(schemas);
    }
}
