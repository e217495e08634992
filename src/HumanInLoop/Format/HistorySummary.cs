using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace HumanInLoop.Internal;

/// <summary>
/// What a record says about the conversation its store keeps apart (<see cref="StateEntry.History"/>): its length, so that an
/// approval read without it still knows how long it is as stored, and, with an <see cref="ApprovalOptions.IntegrityKey"/>, its
/// SHA-256, so that the record's seal covers the conversation without the conversation being read.
/// </summary>
internal sealed class HistorySummary
{
    /// <summary>Gets the conversation's length in characters, as the store keeps it.</summary>
    [JsonInclude]
    [JsonPropertyName("length")]
    public long Length { get; init; }

    /// <summary>Gets the SHA-256 (hex) of the conversation's UTF-8 JSON, or <see langword="null"/> when written without a key.</summary>
    [JsonInclude]
    [JsonPropertyName("sha256")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Sha256 { get; init; }

    /// <summary>The summary to write for <paramref name="history"/>: <paramref name="current"/> when it still describes it (a conversation never changes).</summary>
    /// <param name="history">The conversation kept apart.</param>
    /// <param name="current">The summary the approval was read with, if any.</param>
    /// <param name="withDigest">Whether the record is sealed (the digest is then needed).</param>
    public static HistorySummary For(StoredMessages history, HistorySummary? current, bool withDigest)
    {
        if (history.IsUnread)
        {
            // Read without its conversation: only from a record that carried this summary (checked under its seal, if any).
            return current ?? throw new InvalidOperationException("An approval read without its conversation carries no summary of it.");
        }

        if (current is not null && current.Length == history.Text.Length && (!withDigest || current.Sha256 is not null))
        {
            return current;
        }

        return new HistorySummary { Length = history.Text.Length, Sha256 = withDigest ? Digest(history) : null };
    }

    /// <summary>The SHA-256 (hex) of the conversation's UTF-8 JSON.</summary>
    /// <param name="history">The conversation, read.</param>
    public static string Digest(StoredMessages history) => Convert.ToHexStringLower(SHA256.HashData(history.Utf8Json));
}
