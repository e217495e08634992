using System.Security.Claims;
using HumanInLoop.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ApprovalWorkflow;

/// <summary>
/// Who may open the approver's console (<c>/console</c>): a cookie sign-in for the approvers configured under
/// <c>Approvals:Approvers</c>, with their roles as claims, and the approver policy: the <c>finance</c> role. A demo sign-in: it
/// checks no password (replace it with your identity provider); it accepts only JSON, which a cross-site form cannot send.
/// </summary>
internal static class ConsoleSignIn
{
    public const string ApproverRole = "finance";

    public static void AddServices(IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options =>
        {
            options.Cookie.Name = "workflow.auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.ExpireTimeSpan = TimeSpan.FromHours(8);

            // The console's data answers 401/403 rather than redirecting to a login page.
            options.Events.OnRedirectToLogin = context => { context.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
            options.Events.OnRedirectToAccessDenied = context => { context.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
        });
        services.AddAuthorization(options => options.AddPolicy(
            ApprovalEndpointOptions.DefaultApproverPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(ApproverRole)));
        services.AddAntiforgery(options =>
        {
            options.HeaderName = "X-CSRF-TOKEN";
            options.Cookie.Name = "workflow.csrf";
            options.Cookie.SameSite = SameSiteMode.Strict;
        });
    }

    public static void Map(WebApplication app, ApprovalSettings approvals) =>
        app.MapPost("/account/signin", async (SignInRequest request, HttpContext http) =>
        {
            if (approvals.Approvers.FirstOrDefault(a => string.Equals(a.Id, request.Name, StringComparison.Ordinal)) is not { } approver)
            {
                return Results.Problem("Sign in as one of the approvers configured under Approvals:Approvers.", statusCode: StatusCodes.Status403Forbidden, title: "Unknown approver.");
            }

            List<Claim> claims = [new(ClaimTypes.NameIdentifier, approver.Id), new(ClaimTypes.Name, approver.Id), .. approver.Roles.Select(r => new Claim(ClaimTypes.Role, r))];
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
            return Results.Ok(new { name = approver.Id, roles = approver.Roles });
        });

    internal sealed record SignInRequest(string? Name);
}
