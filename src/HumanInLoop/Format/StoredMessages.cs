using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <summary>
/// A held conversation and, once written or read, its JSON. An approval's history never changes after the hold, yet every
/// state change saves the whole approval: keeping the UTF-8 JSON turns each later save into a copy instead of a new
/// serialization of every message. An approval read by <see cref="ApprovalService"/> keeps only that JSON (checked to be
/// well-formed) and builds the messages on first use: deciding, listing or claiming an approval does not pay for a history
/// it never looks at.
/// </summary>
[JsonConverter(typeof(StoredMessagesConverter))]
internal sealed class StoredMessages
{
    private IReadOnlyList<ChatMessage>? _messages;
    private byte[]? _utf8Json;
    private string? _text;
    private long _unreadLength;

    public StoredMessages(IReadOnlyList<ChatMessage> messages) => _messages = messages;

    private StoredMessages()
    {
    }

    /// <summary>Gets the messages, read from the stored JSON on first use if the approval was read lazily.</summary>
    /// <exception cref="ApprovalStateFormatException">The stored history is not a valid list of messages.</exception>
    /// <exception cref="InvalidOperationException">The approval was read without its conversation (<see cref="IsUnread"/>).</exception>
    public IReadOnlyList<ChatMessage> Messages => _messages ?? (IsUnread ? throw NotRead() : Parse());

    /// <summary>Gets the UTF-8 JSON array of <see cref="Messages"/>: as read, or written (or transcoded) once on first use.</summary>
    /// <exception cref="ApprovalStateFormatException">The stored text is not valid UTF-16.</exception>
    /// <exception cref="InvalidOperationException">The approval was read without its conversation (<see cref="IsUnread"/>).</exception>
    public byte[] Utf8Json => _utf8Json ??= IsUnread ? throw NotRead() : _text is not null
        ? PendingApprovalSerializer.HistoryBytes(_text)
        : PendingApprovalSerializer.SerializeMessages(_messages!);

    /// <summary>Gets the JSON as text (what a store keeps apart): as read, or transcoded once on first use.</summary>
    /// <exception cref="InvalidOperationException">The approval was read without its conversation (<see cref="IsUnread"/>).</exception>
    public string Text => _text ??= IsUnread ? throw NotRead() : System.Text.Encoding.UTF8.GetString(Utf8Json);

    /// <summary>
    /// Gets whether the conversation was left in the store: the approval was read without it, for a step that does not need it
    /// (a decision, a sweep, a guard). Its messages then throw rather than look empty, and a save keeps the stored conversation.
    /// </summary>
    public bool IsUnread { get; private init; }

    /// <summary>Gets the length of <see cref="Text"/>, known from the record's <see cref="Internal.HistorySummary"/> when <see cref="IsUnread"/>.</summary>
    public long TextLength => IsUnread ? _unreadLength : Text.Length;

    /// <summary>Stands for a conversation left in the store, of <paramref name="length"/> characters.</summary>
    public static StoredMessages Unread(long length) => new() { IsUnread = true, _unreadLength = length };

    /// <summary>Keeps a history's JSON, checked to be well-formed, to be read on first use.</summary>
    public static StoredMessages Deferred(byte[] utf8Json) => new() { _utf8Json = utf8Json };

    /// <summary>Keeps a conversation a store kept apart, unchecked, to be read (and reported if invalid) on first use.</summary>
    public static StoredMessages DeferredText(string json) => new() { _text = json };

    /// <summary>Reads a stored history: a JSON array of messages, none of them null.</summary>
    public static List<ChatMessage> Read(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("The messages of a stored approval must be a JSON array.");
        }

        // The list's converter reads straight from the reader; JsonSerializer.Deserialize(ref reader) would first scan the whole
        // array to find its end, then read it again (a second pass over the whole conversation).
        JsonConverter<List<ChatMessage>> converter = (JsonConverter<List<ChatMessage>>)options.GetConverter(typeof(List<ChatMessage>));
        List<ChatMessage>? messages = converter.Read(ref reader, typeof(List<ChatMessage>), options);
        if (messages is null || messages.Contains(null!))
        {
            throw new JsonException("The messages of a stored approval must not be null.");
        }

        return messages;
    }

    /// <summary>Reads a history that is the whole of <paramref name="utf8Json"/>: one JSON array, nothing after it.</summary>
    private static List<ChatMessage> ReadWhole(byte[] utf8Json)
    {
        Utf8JsonReader reader = new(utf8Json, new JsonReaderOptions { MaxDepth = Internal.HumanInLoopJson.MaxDepth });
        if (!reader.Read())
        {
            throw new JsonException("The stored conversation is empty.");
        }

        List<ChatMessage> messages = Read(ref reader, Internal.HumanInLoopJson.StateOptions);
        if (reader.Read())
        {
            throw new JsonException("The stored conversation has content after its messages.");
        }

        return messages;
    }

    private static InvalidOperationException NotRead() => new(
        "This approval was read without its conversation, by a step that does not need it; read it again with ApprovalService.GetAsync to see its messages.");

    private IReadOnlyList<ChatMessage> Parse()
    {
        List<ChatMessage> messages;
        try
        {
            messages = ReadWhole(Utf8Json);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new ApprovalStateFormatException($"The stored approval's messages are not valid JSON of a known format: {exception.Message}", null, exception);
        }

        // Two threads reading at once build equal lists; every caller sees the first one kept.
        return Interlocked.CompareExchange(ref _messages, messages, null) ?? messages;
    }
}

/// <summary>
/// Reads the history eagerly (a malformed one fails when the approval is read), or, inside
/// <see cref="PendingApprovalSerializer"/>'s deferred read, keeps its checked JSON for <see cref="StoredMessages.Messages"/>
/// to read on first use; writes it once.
/// </summary>
internal sealed class StoredMessagesConverter : JsonConverter<StoredMessages>
{
    /// <summary>The whole UTF-8 input of the deferred read in progress on this thread (JSON reads are synchronous).</summary>
    [ThreadStatic]
    private static byte[]? t_deferredInput;

    public override StoredMessages? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (t_deferredInput is not { } input || reader.HasValueSequence || reader.TokenType != JsonTokenType.StartArray)
        {
            return new StoredMessages(StoredMessages.Read(ref reader, options));
        }

        // Positions are offsets into the one span the read started from (a read from a span never re-buffers).
        int start = checked((int)reader.TokenStartIndex);
        reader.Skip(); // reads every token: JSON that is not well-formed still fails here, when the approval is read
        byte[] json = input.AsSpan(start, checked((int)reader.BytesConsumed) - start).ToArray();
        if (json.Length < 2 || json[0] != (byte)'[' || json[^1] != (byte)']')
        {
            throw new JsonException("The messages of a stored approval could not be located in its JSON.");
        }

        return StoredMessages.Deferred(json);
    }

    public override void Write(Utf8JsonWriter writer, StoredMessages value, JsonSerializerOptions options)
    {
        // Only checked JSON gets here: written from the messages, or sliced from a record while it was read. A conversation kept
        // apart is never written into a record (RecordOptions omit it), and the public Serialize builds the messages first.
        writer.WriteRawValue(value.Utf8Json, skipInputValidation: true);
    }

    /// <summary>Defers the messages of histories read on this thread from <paramref name="input"/> until disposed.</summary>
    public static DeferredRead BeginDeferredRead(byte[] input)
    {
        DeferredRead scope = new(t_deferredInput);
        t_deferredInput = input;
        return scope;
    }

    internal readonly struct DeferredRead(byte[]? outer) : IDisposable
    {
        public void Dispose() => t_deferredInput = outer;
    }
}
