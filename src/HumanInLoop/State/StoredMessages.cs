using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <summary>
/// A held conversation and its JSON. An approval's history never changes after the hold, yet every state change saves
/// the whole approval: keeping the JSON as last read or written turns each later save of the history into a copy
/// instead of a new serialization of every message.
/// </summary>
[JsonConverter(typeof(StoredMessagesConverter))]
internal sealed class StoredMessages(IReadOnlyList<ChatMessage> messages, string? json = null)
{
    public IReadOnlyList<ChatMessage> Messages { get; } = messages;

    /// <summary>Gets or sets the JSON array of <see cref="Messages"/>, once known.</summary>
    public string? Json { get; set; } = json;
}

/// <summary>Reads the history eagerly (so a malformed one fails when the approval is read, not when it is resumed) and keeps its JSON.</summary>
internal sealed class StoredMessagesConverter : JsonConverter<StoredMessages>
{
    public override StoredMessages? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using JsonDocument document = JsonDocument.ParseValue(ref reader);
        JsonElement array = document.RootElement;
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("The messages of a stored approval must be a JSON array.");
        }

        List<ChatMessage>? messages = array.Deserialize<List<ChatMessage>>(options);
        if (messages is null || messages.Contains(null!))
        {
            throw new JsonException("The messages of a stored approval must not be null.");
        }

        return new StoredMessages(messages, array.GetRawText());
    }

    public override void Write(Utf8JsonWriter writer, StoredMessages value, JsonSerializerOptions options)
    {
        value.Json ??= JsonSerializer.Serialize(value.Messages, options);
        writer.WriteRawValue(value.Json, skipInputValidation: true);
    }
}
