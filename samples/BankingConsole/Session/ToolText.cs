using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <summary>Tool results and arguments as one-line text.</summary>
internal static class ToolText
{
    private static readonly JsonSerializerOptions s_compact = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    /// <summary>A tool result (a string, or a <see cref="JsonElement"/> after a trip through the store) as text.</summary>
    public static string Of(object? value) => value switch
    {
        null => "",
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString() ?? "",
        JsonElement element => element.GetRawText(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A call's arguments as compact JSON with sorted names, like the approval records show them.</summary>
    public static string Arguments(IDictionary<string, object?>? arguments)
    {
        Dictionary<string, object?> sorted = [];
        foreach (KeyValuePair<string, object?> pair in (arguments ?? new Dictionary<string, object?>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sorted[pair.Key] = pair.Value;
        }

        return JsonSerializer.Serialize(sorted, s_compact);
    }

    /// <summary>What a call would do, in words: "transfer $500.00 to bob".</summary>
    public static string Describe(string tool, JsonElement arguments)
    {
        string Argument(string name) =>
            arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
                ? Of(value)
                : "";
        string amount = decimal.TryParse(Argument("amount"), NumberStyles.Number, CultureInfo.InvariantCulture, out decimal parsed)
            ? Money.Display(parsed)
            : Argument("amount");
        return tool switch
        {
            "transfer" => $"transfer {amount} to {Argument("to")}",
            "deposit" => $"deposit {amount}",
            "check_balance" => Argument("account") is { Length: > 0 } account ? $"check {account}'s balance" : "check the balance",
            _ => $"run {tool}",
        };
    }

    /// <summary>What a call would do, in words.</summary>
    public static string Describe(FunctionCallContent call) =>
        Describe(call.Name, JsonSerializer.SerializeToElement(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions));
}
