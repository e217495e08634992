using System.Buffers;
using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>
/// Which edits of a call's arguments make the policies deny it: the policies are asked again with each edited top-level argument
/// set back to the model's value, one at a time. Only on the refusal path, so a denial can name the field it is about.
/// </summary>
/// <remarks>Thread-safe; it keeps no state.</remarks>
internal static class DenyingEdits
{
    /// <summary>At most this many edited arguments are tried (each is one more evaluation of the policies).</summary>
    private const int MaxTried = 32;

    public static async ValueTask<IReadOnlyList<string>> FindAsync(
        PolicyEvaluator evaluator, PendingApproval approval, PendingToolCall call, JsonElement edited, CancellationToken cancellationToken)
    {
        if (call.Arguments.ValueKind != JsonValueKind.Object || edited.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        Dictionary<string, JsonElement> proposed = [];
        foreach (JsonProperty property in call.Arguments.EnumerateObject())
        {
            proposed[property.Name] = property.Value;
        }

        List<string> changed = [.. edited.EnumerateObject()
            .Where(p => !proposed.TryGetValue(p.Name, out JsonElement before) || !CanonicalJson.SemanticallyEqual(before, p.Value))
            .Select(p => p.Name)];
        changed.AddRange(proposed.Keys.Where(name => !edited.TryGetProperty(name, out _)));
        if (changed.Count > MaxTried)
        {
            return [];
        }

        List<string> causes = [];
        foreach (string name in changed)
        {
            JsonElement arguments = CanonicalJson.Canonicalize(SetBack(edited, proposed, name));
            PolicyEvaluationContext again = new(call.ToolName, call.CallId, null, arguments, approval.Context, approval.LoadHistory());
            try
            {
                if ((await evaluator.EvaluateAsync(again, cancellationToken)).Kind != PolicyVerdictKind.Deny)
                {
                    causes.Add(name);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A policy that cannot judge the variant names nothing about it; the refusal itself stands as it is.
            }
        }

        return causes;
    }

    /// <summary>The edited arguments with <paramref name="name"/> as the model proposed it (absent if it proposed none).</summary>
    private static JsonElement SetBack(JsonElement edited, Dictionary<string, JsonElement> proposed, string name)
    {
        ArrayBufferWriter<byte> buffer = new();
        using (Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartObject();
            foreach (JsonProperty property in edited.EnumerateObject().Where(p => p.Name != name))
            {
                property.WriteTo(writer);
            }

            if (proposed.TryGetValue(name, out JsonElement before))
            {
                writer.WritePropertyName(name);
                before.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
