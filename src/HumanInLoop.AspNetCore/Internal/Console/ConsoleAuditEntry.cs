using System.Text.Json;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One entry of an audit trail as the console shows it (the event by name).</summary>
internal sealed record ConsoleAuditEntry(
    long Sequence, DateTimeOffset Timestamp, string Event, string Actor, string? CallId, string? ToolName, string? Fingerprint,
    JsonElement? Arguments, string? Reason, string PreviousHash, string Hash)
{
    public static ConsoleAuditEntry From(ApprovalAuditEntry entry) => new(
        entry.Sequence, entry.Timestamp, entry.Event.ToString(), entry.Actor, entry.CallId, entry.ToolName, entry.Fingerprint,
        entry.Arguments, entry.Reason, entry.PreviousHash, entry.Hash);
}
