using System.Globalization;
using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>Turns the <c>grant</c> of a decision's body into <see cref="GrantTerms"/>, or says what is wrong with it (400).</summary>
internal static class GrantTermsReader
{
    private const int MaxBounds = 32;

    public static (GrantTerms? Terms, ProblemHttpResult? Problem) ToTerms(ApprovalGrantRequest grant)
    {
        string scopeNames = string.Join(", ", Enum.GetNames<GrantScope>().Select(n => n.ToLowerInvariant()));
        if (Enum.GetNames<GrantScope>().FirstOrDefault(n => string.Equals(n, grant.Scope?.Trim(), StringComparison.OrdinalIgnoreCase)) is not { } scopeName)
        {
            // Names only, as for the inbox's status: Enum.TryParse would take numbers too.
            return (null, ApprovalProblems.BadRequest($"'grant.scope' must be one of {scopeNames}."));
        }

        if (!TryReadDuration(grant.Duration, out TimeSpan duration) || duration <= TimeSpan.Zero || duration > GrantTerms.MaxDuration)
        {
            return (null, ApprovalProblems.BadRequest(
                $"'grant.duration' must be a duration above zero and at most {GrantTerms.MaxDuration.TotalDays:0} days, in ISO 8601 (PT8H, P7D) or as d.hh:mm:ss."));
        }

        List<GrantArgumentBound> bounds = [];
        if (grant.ArgumentBounds?.Count > MaxBounds)
        {
            return (null, ApprovalProblems.BadRequest($"'grant.argumentBounds' holds more than {MaxBounds} bounds."));
        }

        foreach (GrantArgumentBoundRequest? bound in grant.ArgumentBounds ?? [])
        {
            bool hasEqual = bound?.Equal is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined };
            if (bound is null || string.IsNullOrWhiteSpace(bound.Name) || hasEqual == bound.AtMost.HasValue)
            {
                return (null, ApprovalProblems.BadRequest("Each of 'grant.argumentBounds' needs a 'name' and exactly one of 'equal' (a value) and 'atMost' (a number)."));
            }

            bounds.Add(hasEqual ? GrantArgumentBound.Equal(bound.Name.Trim(), bound.Equal!.Value.Clone()) : GrantArgumentBound.AtMost(bound.Name.Trim(), bound.AtMost!.Value));
        }

        return (new GrantTerms(Enum.Parse<GrantScope>(scopeName), duration, bounds), null);
    }

    private static bool TryReadDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.StartsWith('P') || text.StartsWith("-P", StringComparison.Ordinal))
        {
            try
            {
                duration = XmlConvert.ToTimeSpan(text);
                return true;
            }
            catch (Exception exception) when (exception is FormatException or OverflowException)
            {
                return false;
            }
        }

        return TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out duration);
    }
}
