using System.Globalization;
using System.Text.Json;

namespace HumanInLoop.Rules.Internal;

/// <summary>The values one call gives a condition: its arguments by name, and the context names (<see cref="ContextNames"/>).</summary>
/// <remarks>Not thread-safe; one per evaluation.</remarks>
internal sealed class RuleScope(string toolName, JsonElement arguments, CallerContext caller, TimeProvider time, DateTimeOffset? recordedAt = null)
{
    private DateTimeOffset? _now;

    /// <summary>The longest string a condition reads, in characters: a longer argument stops the evaluation at the bound.</summary>
    public const int MaxStringLength = 4096;

    /// <summary>The names a condition may read besides the tool's arguments, with their types.</summary>
    public static readonly IReadOnlyDictionary<string, ValueKind> ContextNames = new Dictionary<string, ValueKind>(StringComparer.Ordinal)
    {
        ["_tool"] = ValueKind.String,
        ["_user"] = ValueKind.String,
        ["_tenant"] = ValueKind.String,
        ["_conversation"] = ValueKind.String,
        ["_date"] = ValueKind.String,
        ["_hour"] = ValueKind.Number,
        ["_minute"] = ValueKind.Number,
        ["_weekday"] = ValueKind.Number,
    };

    public object Read(string name, ValueKind kind) => name switch
    {
        "_tool" => toolName,
        "_user" => caller.UserId ?? string.Empty,
        "_tenant" => caller.TenantId ?? string.Empty,
        "_conversation" => caller.ConversationId ?? string.Empty,
        "_date" => Now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        "_hour" => (decimal)Now.UtcDateTime.Hour,
        "_minute" => (decimal)Now.UtcDateTime.Minute,
        "_weekday" => (decimal)(int)Now.UtcDateTime.DayOfWeek,
        _ => Argument(name, kind),
    };

    /// <summary>Gets the time of the call: the recorded one in a replay, else the clock, read once, when a condition first asks.</summary>
    private DateTimeOffset Now => _now ??= recordedAt ?? time.GetUtcNow();

    private object Argument(string name, ValueKind kind)
    {
        if (arguments.ValueKind != JsonValueKind.Object || !arguments.TryGetProperty(name, out JsonElement value))
        {
            throw new RuleEvaluationException($"The call has no argument '{name}'.");
        }

        switch (kind)
        {
            case ValueKind.Number when value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal number):
                return number;
            case ValueKind.String when value.ValueKind == JsonValueKind.String:
                string text = value.GetString()!;
                return text.Length <= MaxStringLength
                    ? text
                    : throw new RuleEvaluationException($"The argument '{name}' is longer than {MaxStringLength} characters.", boundExceeded: true);
            case ValueKind.Boolean when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean();
            default:
                throw new RuleEvaluationException($"The argument '{name}' is {value.ValueKind}, not the {kind} its schema declares (or a number beyond a decimal).");
        }
    }
}
