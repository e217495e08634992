namespace HumanInLoop.Notifications;

/// <summary>Settings of a Slack incoming-webhook channel, added with <c>AddSlackWebhook</c>.</summary>
/// <remarks>A plain settings object, validated once when the channel is created.</remarks>
public sealed class SlackWebhookChannelOptions
{
    /// <summary>Gets or sets the channel's name, unique among channels (it keys the delivery records).</summary>
    /// <value>Default <c>slack</c>.</value>
    public string Name { get; set; } = "slack";

    /// <summary>Gets or sets the incoming webhook URL Slack gave the app (a secret: anyone who has it can post).</summary>
    /// <value>Required.</value>
    public Uri? WebhookUri { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new InvalidOperationException("SlackWebhookChannelOptions.Name must not be empty.");
        }

        if (WebhookUri is not { IsAbsoluteUri: true } uri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"SlackWebhookChannelOptions.WebhookUri of channel '{Name}' must be the absolute incoming-webhook URL Slack gave the app.");
        }
    }
}
