namespace HumanInLoop.Notifications;

/// <summary>Settings of the Slack interactive-callback endpoint.</summary>
/// <remarks>A plain settings object, validated once when the endpoint is mapped.</remarks>
public sealed class SlackInteractionOptions
{
    /// <summary>Gets or sets the Slack app's signing secret (Basic Information, App Credentials). Requests not signed with it are refused.</summary>
    /// <value>Required.</value>
    public string SigningSecret { get; set; } = "";

    /// <summary>Gets or sets the largest request body accepted, in bytes.</summary>
    /// <value>Default 64 KiB.</value>
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(SigningSecret))
        {
            throw new InvalidOperationException("SlackInteractionOptions.SigningSecret is required: the Slack app's signing secret, from configuration.");
        }

        if (MaxBodyBytes is < 1024 or > 1024 * 1024)
        {
            throw new InvalidOperationException("SlackInteractionOptions.MaxBodyBytes must be from 1 KiB to 1 MiB.");
        }
    }
}
