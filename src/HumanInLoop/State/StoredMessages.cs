using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <summary>
/// A held conversation and, once written, its JSON. An approval's history never changes after the hold, yet every state
/// change saves the whole approval: keeping the UTF-8 JSON of the first save turns each later save of the same instance
/// into a copy instead of a new serialization of every message.
/// </summary>
[JsonConverter(typeof(StoredMessagesConverter))]
internal sealed class StoredMessages(IReadOnlyList<ChatMessage> messages)
{
    public IReadOnlyList<ChatMessage> Messages { get; } = messages;

    /// <summary>Gets or sets the UTF-8 JSON array of <see cref="Messages"/>, once written.</summary>
    public byte[]? Utf8Json { get; set; }
}

/// <summary>Reads the history eagerly (a malformed one fails when the approval is read, not when it is resumed); writes it once.</summary>
internal sealed class StoredMessagesConverter : JsonConverter<StoredMessages>
{
    public override StoredMessages? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("The messages of a stored approval must be a JSON array.");
        }

        List<ChatMessage>? messages = JsonSerializer.Deserialize<List<ChatMessage>>(ref reader, options);
        if (messages is null || messages.Contains(null!))
        {
            throw new JsonException("The messages of a stored approval must not be null.");
        }

        return new StoredMessages(messages);
    }

    public override void Write(Utf8JsonWriter writer, StoredMessages value, JsonSerializerOptions options)
    {
        value.Utf8Json ??= JsonSerializer.SerializeToUtf8Bytes(value.Messages, options);
        writer.WriteRawValue(value.Utf8Json, skipInputValidation: true);
    }
}
