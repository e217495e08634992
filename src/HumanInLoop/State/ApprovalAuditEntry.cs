using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanInLoop;

/// <summary>One recorded event of an approval: who, when, which call, what arguments, and why.</summary>
/// <remarks>
/// Entries are chained: <see cref="Hash"/> covers the entry and <see cref="PreviousHash"/>, so an edit, deletion,
/// insertion or reordering is detected when the approval is loaded (keyed with <see cref="ApprovalOptions.IntegrityKey"/>
/// when one is set). Instances are immutable.
/// </remarks>
public sealed class ApprovalAuditEntry
{
    [JsonConstructor]
    internal ApprovalAuditEntry()
    {
    }

    /// <summary>Gets the position of the entry in the trail, from 1.</summary>
    [JsonInclude]
    public long Sequence { get; internal set; }

    /// <summary>Gets when it happened (UTC).</summary>
    [JsonInclude]
    public DateTimeOffset Timestamp { get; internal set; }

    /// <summary>Gets what happened.</summary>
    [JsonInclude]
    public ApprovalAuditEvent Event { get; internal set; }

    /// <summary>Gets who did it: an approver's id, <c>policy</c> for automatic decisions, or <c>system</c>.</summary>
    [JsonInclude]
    public string Actor { get; internal set; } = "";

    /// <summary>Gets the call concerned, if any.</summary>
    [JsonInclude]
    public string? CallId { get; internal set; }

    /// <summary>Gets the tool concerned, if any.</summary>
    [JsonInclude]
    public string? ToolName { get; internal set; }

    /// <summary>Gets the fingerprint of the arguments concerned (see <see cref="PendingToolCall.Fingerprint"/>).</summary>
    [JsonInclude]
    public string? Fingerprint { get; internal set; }

    /// <summary>Gets the arguments concerned, for decisions.</summary>
    [JsonInclude]
    public JsonElement? Arguments { get; internal set; }

    /// <summary>Gets why, as given by the policy or the person.</summary>
    [JsonInclude]
    public string? Reason { get; internal set; }

    /// <summary>
    /// Gets the versions of the rules in force when the policies judged the call (<see cref="RecordedVerdict.PolicyVersions"/>), on the
    /// entry that records their verdict; empty on other entries and on entries written before versions were recorded. Covered by <see cref="Hash"/>.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<string> PolicyVersions => PolicyVersionsData ?? [];

    [JsonInclude]
    [JsonPropertyName("policyVersions")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal string[]? PolicyVersionsData { get; set; }

    /// <summary>Gets the hash of the entry before this one (empty for the first).</summary>
    [JsonInclude]
    public string PreviousHash { get; internal set; } = "";

    /// <summary>Gets the hash of this entry, chained to <see cref="PreviousHash"/>.</summary>
    [JsonInclude]
    public string Hash { get; internal set; } = "";
}
