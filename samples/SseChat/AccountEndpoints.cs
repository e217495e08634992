using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using SseChat.Bank;

namespace SseChat;

/// <summary>
/// A demo sign-in: anyone may sign in under a name, as a teller with the approver role or as a customer without it. It is
/// honest about who is signed in (a real cookie, real claims, real policies) but checks no password: replace it with your
/// identity provider.
/// </summary>
internal static partial class AccountEndpoints
{
    /// <summary>A role that may read approvals in the console but decide none (an auditor).</summary>
    public const string AuditorRole = "auditor";

    /// <summary>The policy of who may open the console and read approvals there: tellers (approvers) and auditors.</summary>
    public const string ReaderPolicy = "SseChat.Reader";

    public static void Map(WebApplication app)
    {
        // JSON only: a cross-site HTML form cannot send application/json, so this cannot be forged by a plain form (login CSRF).
        app.MapPost("/account/signin", SignInAsync);
        app.MapPost("/account/signout", SignOutAsync).RequireAuthorization();
        app.MapGet("/account/me", Me);
    }

    private static async Task<Results<Ok<Account>, ProblemHttpResult>> SignInAsync(SignInRequest request, HttpContext http)
    {
        string name = (request.Name ?? "").Trim().ToLowerInvariant();
        if (!NamePattern().IsMatch(name))
        {
            return TypedResults.Problem("Use 1 to 32 letters, digits, '-' or '_', starting with a letter.", statusCode: StatusCodes.Status400BadRequest, title: "Invalid name.");
        }

        List<Claim> claims = [new(ClaimTypes.NameIdentifier, name), new(ClaimTypes.Name, name)];
        if (request.Approver)
        {
            claims.Add(new Claim(ClaimTypes.Role, BankTools.ApproverRole));
        }

        if (request.Auditor)
        {
            claims.Add(new Claim(ClaimTypes.Role, AuditorRole));
        }

        ClaimsPrincipal user = new(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, user);
        return TypedResults.Ok(new Account(name, [.. claims.Where(c => c.Type == ClaimTypes.Role).Select(c => c.Value)]));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SignOutAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return TypedResults.Problem("The anti-forgery token is missing or invalid.", statusCode: StatusCodes.Status400BadRequest, title: "Cross-site request refused.");
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }

    private static Results<Ok<Account>, UnauthorizedHttpResult> Me(ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, Name: { } name }
            ? TypedResults.Ok(new Account(name, [.. user.FindAll(ClaimTypes.Role).Select(c => c.Value)]))
            : TypedResults.Unauthorized();

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,31}$")]
    private static partial Regex NamePattern();
}

internal sealed record SignInRequest(string? Name, bool Approver, bool Auditor = false);

internal sealed record Account(string Name, IReadOnlyList<string> Roles);
