using System.Text.Json;
using System.Text.Json.Nodes;

namespace HumanInLoop.Internal;

/// <summary>Writes recorded calls as JSON Lines, one call per line, without the argument fields asked to drop.</summary>
internal static class DecisionExporter
{
    private static readonly byte[] s_newLine = "\n"u8.ToArray();

    public static async ValueTask WriteAsync(Stream destination, RecordedCall call, DecisionExportOptions options, CancellationToken cancellationToken)
    {
        JsonNode node = JsonSerializer.SerializeToNode(call, HumanInLoopJson.StateOptions)!;
        if (options.DropArguments.Count > 0)
        {
            Drop(node["arguments"], options.DropArguments);
            Drop(node["editedArguments"], options.DropArguments);
        }

        await destination.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(node, HumanInLoopJson.StateOptions), cancellationToken);
        await destination.WriteAsync(s_newLine, cancellationToken);
    }

    private static void Drop(JsonNode? node, IReadOnlySet<string> names)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (string name in obj.Select(p => p.Key).Where(names.Contains).ToList())
                {
                    obj.Remove(name);
                }

                foreach (KeyValuePair<string, JsonNode?> property in obj)
                {
                    Drop(property.Value, names);
                }

                break;
            case JsonArray array:
                foreach (JsonNode? item in array)
                {
                    Drop(item, names);
                }

                break;
        }
    }
}
