using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>Turns stored canonical arguments back into the dictionary shape Microsoft.Extensions.AI uses.</summary>
internal static class ToolArguments
{
    public static Dictionary<string, object?> ToDictionary(JsonElement arguments)
    {
        Dictionary<string, object?> result = new(StringComparer.Ordinal);
        foreach (JsonProperty property in arguments.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }
}
