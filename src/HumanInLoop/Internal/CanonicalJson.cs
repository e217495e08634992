using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>
/// A canonical JSON form of tool arguments: objects with keys sorted ordinally, numbers as the model wrote them,
/// no insignificant whitespace. Equal arguments give equal bytes, so fingerprints are stable across round trips.
/// </summary>
internal static class CanonicalJson
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static JsonElement FromArguments(IEnumerable<KeyValuePair<string, object?>>? arguments)
    {
        JsonElement raw = arguments is null
            ? JsonSerializer.SerializeToElement(new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions)
            : JsonSerializer.SerializeToElement(arguments.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), AIJsonUtilities.DefaultOptions);
        return Canonicalize(raw);
    }

    public static JsonElement Canonicalize(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("Tool arguments must be a JSON object.");
        }

        ArrayBufferWriter<byte> buffer = new();
        using (Utf8JsonWriter writer = new(buffer, s_writerOptions))
        {
            Write(writer, element);
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    public static byte[] ToUtf8(JsonElement element)
    {
        ArrayBufferWriter<byte> buffer = new();
        using (Utf8JsonWriter writer = new(buffer, s_writerOptions))
        {
            Write(writer, element);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (JsonProperty property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
