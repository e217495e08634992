using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanInLoop.Internal;

/// <summary>Takes the audit trail out of a stored approval before it is purged, and reads it back.</summary>
internal static class AuditTrailArchive
{
    private static readonly JsonSerializerOptions s_readOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        MaxDepth = 64,
    };

    /// <summary>
    /// Returns the approval's audit trail exactly as stored in its <see cref="StateEntry.Data"/> (a JSON array, byte for byte,
    /// so its hash chain still verifies), or <see langword="null"/> when the entry is not a readable approval: its data with,
    /// when the conversation is kept apart, its <see cref="StateEntry.History"/>.
    /// </summary>
    public static string? Extract(StateEntry entry)
    {
        try
        {
            // The whole approval must read the way the core reads it, conversation included wherever it is kept, and be the one its
            // row names (the core refuses it otherwise); only the trail is kept.
            if (PendingApprovalSerializer.Deserialize(entry).Id != entry.Id)
            {
                return null;
            }

            using JsonDocument document = JsonDocument.Parse(entry.Data, new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.TryGetProperty(PendingApproval.AuditTrailProperty, out JsonElement trail) && trail.ValueKind == JsonValueKind.Array
                ? trail.GetRawText()
                : null;
        }
        catch (Exception exception) when (exception is ApprovalStateFormatException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads a trail stored by <see cref="Extract"/>.</summary>
    public static IReadOnlyList<ApprovalAuditEntry> Read(string approvalId, string json)
    {
        try
        {
            List<ApprovalAuditEntry> entries = JsonSerializer.Deserialize<List<ApprovalAuditEntry>>(json, s_readOptions) ?? [];
            if (entries.Contains(null!))
            {
                throw new ApprovalStateFormatException("An archived audit entry is null.", approvalId);
            }

            return entries;
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new ApprovalStateFormatException($"The archived audit trail cannot be read: {exception.Message}", approvalId, exception);
        }
    }
}
