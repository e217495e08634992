namespace HumanInLoop.Notifications;

/// <summary>Settings of a Slack incoming-webhook channel, added with <c>AddSlackWebhook</c>.</summary>
/// <remarks>A plain settings object, validated once when the channel is created.</remarks>
public sealed class SlackWebhookChannelOptions
{
    /// <summary>
    /// The name of the <see cref="System.Net.Http.IHttpClientFactory"/> client the Slack channels post with, unless
    /// <see cref="HttpClientName"/> names another. Configure it to add handlers, a proxy or resilience:
    /// <c>services.AddHttpClient(SlackWebhookChannelOptions.DefaultHttpClientName).AddStandardResilienceHandler()</c>.
    /// </summary>
    public const string DefaultHttpClientName = "HumanInLoop.Notifications.Slack";

    /// <summary>Gets or sets the channel's name, unique among channels (it keys the delivery records).</summary>
    /// <value>Default <c>slack</c>.</value>
    public string Name { get; set; } = "slack";

    /// <summary>Gets or sets the incoming webhook URL Slack gave the app (a secret: anyone who has it can post).</summary>
    /// <value>Required.</value>
    public Uri? WebhookUri { get; set; }

    /// <summary>
    /// Gets or sets the name of the <see cref="System.Net.Http.IHttpClientFactory"/> client this channel posts with; give a
    /// channel its own name to give it its own handlers or proxy.
    /// </summary>
    /// <value>Default <see cref="DefaultHttpClientName"/>.</value>
    public string HttpClientName { get; set; } = DefaultHttpClientName;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new InvalidOperationException("SlackWebhookChannelOptions.Name must not be empty.");
        }

        if (HttpClientName is null)
        {
            throw new InvalidOperationException($"SlackWebhookChannelOptions.HttpClientName of channel '{Name}' must not be null (the default is DefaultHttpClientName).");
        }

        if (WebhookUri is not { IsAbsoluteUri: true } uri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"SlackWebhookChannelOptions.WebhookUri of channel '{Name}' must be the absolute incoming-webhook URL Slack gave the app.");
        }
    }
}
