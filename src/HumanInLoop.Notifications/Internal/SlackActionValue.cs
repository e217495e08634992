using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanInLoop.Notifications.Internal;

/// <summary>What a Slack button carries: the approval, the call, and the fingerprint of the call shown in the message.</summary>
internal sealed record SlackActionValue(
    [property: JsonPropertyName("a")] string ApprovalId,
    [property: JsonPropertyName("c")] string CallId,
    [property: JsonPropertyName("f")] string Fingerprint)
{
    public const string ApproveActionId = "hil_approve";
    public const string RejectActionId = "hil_reject";

    /// <summary>Slack's limit on a button's value.</summary>
    public const int MaxLength = 2000;

    public string Serialize() => JsonSerializer.Serialize(this);

    public static SlackActionValue? TryParse(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return null;
        }

        try
        {
            SlackActionValue? parsed = JsonSerializer.Deserialize<SlackActionValue>(value);
            return parsed is { ApprovalId.Length: > 0, CallId.Length: > 0, Fingerprint.Length: > 0 } ? parsed : null;
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
