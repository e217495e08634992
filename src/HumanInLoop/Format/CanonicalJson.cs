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

    // One writer and buffer per thread for FromArguments, which the gate runs for every call it records.
    [ThreadStatic]
    private static ArgumentWriter? t_argumentWriter;

    public static JsonElement FromArguments(IEnumerable<KeyValuePair<string, object?>>? arguments)
    {
        // Written canonically straight from the arguments, then parsed once into its own memory (no intermediate document).
        // The thread's writer is taken while in use: a value's serializer that came back here would make its own.
        ArgumentWriter cached = t_argumentWriter ?? new ArgumentWriter();
        t_argumentWriter = null;
        try
        {
            Utf8JsonWriter writer = cached.Writer;
            writer.WriteStartObject();
            if (arguments is not null)
            {
                KeyValuePair<string, object?>[] sorted = [.. arguments];
                Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                for (int i = 0; i < sorted.Length; i++)
                {
                    if (i > 0 && string.Equals(sorted[i].Key, sorted[i - 1].Key, StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"The tool arguments name '{sorted[i].Key}' twice.", nameof(arguments));
                    }

                    writer.WritePropertyName(sorted[i].Key);
                    WriteValue(writer, sorted[i].Value);
                }
            }

            writer.WriteEndObject();
            writer.Flush();
            return JsonElement.Parse(cached.Buffer.WrittenSpan);
        }
        finally
        {
            if (cached.TryReset())
            {
                t_argumentWriter = cached;
            }
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element:
                Write(writer, element);
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            default:
                // Numbers, dates, nested objects: exactly as Microsoft.Extensions.AI serializes them, then canonically.
                Write(writer, JsonSerializer.SerializeToElement(value, value.GetType(), AIJsonUtilities.DefaultOptions));
                break;
        }
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

        return JsonElement.Parse(buffer.WrittenSpan);
    }

    /// <summary>Appends the canonical form of <paramref name="element"/> to <paramref name="output"/>.</summary>
    public static void WriteTo(IBufferWriter<byte> output, JsonElement element)
    {
        using Utf8JsonWriter writer = new(output, s_writerOptions);
        Write(writer, element);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                List<JsonProperty> properties = [.. element.EnumerateObject()];
                if (properties.Count > 1)
                {
                    properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                    for (int i = 1; i < properties.Count; i++)
                    {
                        if (string.Equals(properties[i].Name, properties[i - 1].Name, StringComparison.Ordinal))
                        {
                            // Readers disagree on which of two equal names wins; a policy and a tool must never read different values.
                            throw new JsonException($"The tool arguments name '{properties[i].Name}' twice in one object.");
                        }
                    }
                }

                foreach (JsonProperty property in properties)
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
    /// <summary>Compares two JSON values as values: numbers as decimals (<c>100</c> equals <c>100.0</c>; numbers beyond
    /// <see cref="decimal"/> by their text), object keys in any order, arrays in order, strings ordinally.</summary>
    public static bool SemanticallyEqual(JsonElement left, JsonElement right)
    {
        if (left.ValueKind != right.ValueKind)
        {
            return false;
        }

        switch (left.ValueKind)
        {
            case JsonValueKind.Number:
                return TryReadDecimal(left, out decimal a) && TryReadDecimal(right, out decimal b)
                    ? a == b
                    : string.Equals(left.GetRawText(), right.GetRawText(), StringComparison.Ordinal);
            case JsonValueKind.String:
                return left.ValueEquals(right.GetString());
            case JsonValueKind.Array:
                int count = left.GetArrayLength();
                if (count != right.GetArrayLength())
                {
                    return false;
                }

                for (int i = 0; i < count; i++)
                {
                    if (!SemanticallyEqual(left[i], right[i]))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Object:
                int properties = 0;
                foreach (JsonProperty property in left.EnumerateObject())
                {
                    properties++;
                    if (!right.TryGetProperty(property.Name, out JsonElement other) || !SemanticallyEqual(property.Value, other))
                    {
                        return false;
                    }
                }

                return properties == right.EnumerateObject().Count();
            default:
                return true; // true, false, null: the kinds already matched
        }
    }

    /// <summary>Reads a JSON number, or a string holding one, as a <see cref="decimal"/> without going through a double.</summary>
    public static bool TryReadDecimal(JsonElement value, out decimal number)
    {
        number = 0;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDecimal(out number),
            JsonValueKind.String => decimal.TryParse(value.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out number),
            _ => false,
        };
    }

    /// <summary>A reusable writer over its own buffer (large arguments leave theirs to the collector).</summary>
    private sealed class ArgumentWriter
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(256);

        public Utf8JsonWriter Writer { get; }

        public ArgumentWriter() => Writer = new Utf8JsonWriter(Buffer, s_writerOptions);

        public bool TryReset()
        {
            if (Buffer.Capacity > 16 * 1024)
            {
                return false;
            }

            Buffer.Clear(); // zeroes what was written: call arguments do not linger in a buffer that lives as long as its thread
            Writer.Reset(Buffer);
            return true;
        }
    }
}
