namespace HumanInLoop.AspNetCore.Internal;

/// <summary>Who the console's user is and what the page may offer them; the server checks every action again.</summary>
/// <param name="User">The approver id of the signed-in user.</param>
/// <param name="Title">The page title.</param>
/// <param name="ReadOnly">Whether the page shows no decision controls: the console is read-only, or the user may read but not decide.</param>
/// <param name="CanResume">Whether the console resumes an approval once decided (a resume target is configured and the user may decide).</param>
/// <param name="TenantId">The user's tenant, when tenants are in use.</param>
internal sealed record ConsoleSession(string? User, string Title, bool ReadOnly, bool CanResume, string? TenantId);
