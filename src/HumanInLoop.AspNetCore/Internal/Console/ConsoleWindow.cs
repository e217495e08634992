using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The window of the console's report and replay, read from the query string: whole UTC days <c>from</c> to <c>to</c> (inclusive,
/// <c>yyyy-MM-dd</c>; the last 30 days by default, at most 366), and optionally one tool and one tenant.
/// </summary>
internal sealed record ConsoleWindow(DateOnly From, DateOnly To, string? Tool, string? Tenant)
{
    public const int MaxDays = 366;
    private const int DefaultDays = 30;

    public static (ConsoleWindow? Window, ProblemHttpResult? Invalid) Parse(string? from, string? to, string? tool, string? tenant, DateTimeOffset now)
    {
        DateOnly last = DateOnly.FromDateTime(now.UtcDateTime);
        if (!string.IsNullOrWhiteSpace(to) && !TryDay(to, out last))
        {
            return (null, ApprovalProblems.BadRequest("to must be a day as yyyy-MM-dd."));
        }

        DateOnly first = last.AddDays(1 - DefaultDays);
        if (!string.IsNullOrWhiteSpace(from) && !TryDay(from, out first))
        {
            return (null, ApprovalProblems.BadRequest("from must be a day as yyyy-MM-dd."));
        }

        if (first > last)
        {
            return (null, ApprovalProblems.BadRequest("from must not be after to."));
        }

        return last.DayNumber - first.DayNumber >= MaxDays
            ? (null, ApprovalProblems.BadRequest($"The window spans at most {MaxDays} days."))
            : (new ConsoleWindow(first, last, Blank(tool), Blank(tenant)), null);
    }

    public int Days => To.DayNumber - From.DayNumber + 1;

    /// <summary>The history's query; a tenant's service reads its own tenant only, whatever <see cref="Tenant"/> says.</summary>
    public HistoryQuery ToQuery() => new()
    {
        From = new DateTimeOffset(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        Before = new DateTimeOffset(To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        ToolName = Tool,
        TenantId = Tenant,
    };

    private static bool TryDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
