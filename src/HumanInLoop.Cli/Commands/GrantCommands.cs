using System.CommandLine;
using Spectre.Console;

namespace HumanInLoop.Cli.Commands;

/// <summary><c>grants list</c> and <c>grants revoke ID</c>: the standing grants people made while approving (<see cref="StandingGrants"/>).</summary>
internal static class GrantCommands
{
    public static Command Create(CommandRunner runner)
    {
        Command grants = new("grants", "List or revoke standing grants (\"don't ask again\" permissions made with an approval).");
        grants.Subcommands.Add(List(runner));
        grants.Subcommands.Add(Revoke(runner));
        return grants;
    }

    private static Command List(CommandRunner runner)
    {
        Option<string?> tool = CommonOptions.Tool();
        Option<string?> tenant = CommonOptions.Tenant();
        Option<bool> active = new("--active") { Description = "Only grants in force now (not revoked, not expired)." };
        Command command = new("list", "List standing grants, newest first.") { tool, tenant, active };
        runner.Handle(command, async context =>
        {
            GrantQuery query = new()
            {
                ToolName = context.Get(tool),
                TenantId = context.Get(tenant),
                ActiveAt = context.Get(active) ? DateTimeOffset.UtcNow : null,
                PageSize = 500,
            };
            List<ApprovalGrant> found = [];
            await foreach (ApprovalGrant grant in context.Approvals.Grants.ListAsync(query, context.Cancellation))
            {
                found.Add(grant);
            }

            if (context.Output.Json)
            {
                context.Output.WriteJson(found);
                return ExitCodes.Ok;
            }

            if (found.Count == 0)
            {
                context.Output.Console.WriteLine("No standing grants.");
                return ExitCodes.Ok;
            }

            Table table = CommonOptions.Table(1, "Grant", "Tool", "Scope", "Tenant", "Bounds", "Granted by", "Created", "Expires", "Revoked");
            foreach (ApprovalGrant grant in found)
            {
                table.AddRow(
                    Markup.Escape(grant.Id), Markup.Escape(grant.ToolName), Markup.Escape($"{grant.Scope} {grant.ScopeId}".Trim()),
                    Markup.Escape(grant.TenantId ?? ""), Markup.Escape(string.Join("; ", grant.ArgumentBounds)), Markup.Escape(grant.GrantedBy),
                    CommonOptions.Time(grant.CreatedAt), CommonOptions.Time(grant.ExpiresAt),
                    grant.RevokedAt is null ? "" : Markup.Escape($"{CommonOptions.Time(grant.RevokedAt)} by {grant.RevokedBy}: {grant.RevokeReason}"));
            }

            context.Output.Console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Revoke(CommandRunner runner)
    {
        Argument<string> id = new("ID") { Description = "The grant id." };
        Option<string> who = CommonOptions.As();
        Option<string[]> roles = CommonOptions.Roles();
        Option<string> reason = new("--reason") { Description = "Why (required; kept on the grant).", Required = true };
        Option<string[]> granters = new("--granter")
        {
            Description = "An id or role the application lists in ApprovalOptions.Granters (repeat for several); without it only the grant's maker may revoke.",
            HelpName = "ID-OR-ROLE",
        };
        Command command = new("revoke", "Revoke a standing grant: from now on it allows nothing.") { id, who, roles, reason, granters };
        command.Validators.Add(result =>
        {
            if (result.GetValue(reason) is { } text && string.IsNullOrWhiteSpace(text))
            {
                result.AddError("--reason must not be blank.");
            }
        });
        runner.Handle(
            command,
            async context =>
            {
                ApprovalGrant grant = await context.Approvals.Grants.RevokeAsync(
                    context.Get(id), CommonOptions.Approver(context, who, roles), context.Get(reason)!, context.Cancellation);
                if (context.Output.Json)
                {
                    context.Output.WriteJson(grant);
                }
                else
                {
                    context.Output.Console.MarkupLineInterpolated($"Grant {grant.Id} ({grant.ToolName}) revoked at {CommonOptions.Time(grant.RevokedAt)} by {grant.RevokedBy}.");
                }

                return ExitCodes.Ok;
            },
            (parse, options) =>
            {
                foreach (string granter in parse.GetValue(granters) ?? [])
                {
                    options.Granters.Add(granter);
                }
            });
        return command;
    }
}
