using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Rules.Internal;

/// <summary>The arguments of the tools a rule set may name, and their types, from each tool's JSON schema.</summary>
internal static class ToolArguments
{
    /// <summary>Reads the names each tool's condition may use: its arguments of type number, integer, string or boolean, and the context names.</summary>
    /// <returns>By tool name.</returns>
    /// <exception cref="ArgumentException">Two tools share a name.</exception>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, ValueKind>> Read(IEnumerable<AIFunctionDeclaration> tools)
    {
        Dictionary<string, IReadOnlyDictionary<string, ValueKind>> byTool = new(StringComparer.Ordinal);
        foreach (AIFunctionDeclaration tool in tools)
        {
            ArgumentNullException.ThrowIfNull(tool, nameof(tools));
            if (!byTool.TryAdd(tool.Name, Names(tool.JsonSchema)))
            {
                throw new ArgumentException($"Two tools are named '{tool.Name}'.", nameof(tools));
            }
        }

        return byTool;
    }

    private static Dictionary<string, ValueKind> Names(JsonElement schema)
    {
        Dictionary<string, ValueKind> names = new(RuleScope.ContextNames, StringComparer.Ordinal);
        if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in properties.EnumerateObject())
            {
                if (!property.Name.StartsWith('_') && Kind(property.Value) is { } kind)
                {
                    names[property.Name] = kind;
                }
            }
        }

        return names;
    }

    /// <summary>The type of one argument: <c>"type": "number"</c>, or a list such as <c>["number", "null"]</c> with one type besides null.</summary>
    private static ValueKind? Kind(JsonElement property)
    {
        if (property.ValueKind != JsonValueKind.Object || !property.TryGetProperty("type", out JsonElement type))
        {
            return null;
        }

        string[] types = type.ValueKind switch
        {
            JsonValueKind.String => [type.GetString()!],
            JsonValueKind.Array => [.. type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).Where(t => t != "null")],
            _ => [],
        };
        return types switch
        {
            ["number"] or ["integer"] => ValueKind.Number,
            ["string"] => ValueKind.String,
            ["boolean"] => ValueKind.Boolean,
            _ => null,
        };
    }
}
