using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// Posts approvals to a Slack incoming webhook as Block Kit messages: for a pending approval, each call with the policy's
/// reason, its arguments, and Approve / Reject buttons whose values carry the approval id, the call id and the call's
/// fingerprint; for other changes, a one-line announcement.
/// </summary>
/// <remarks>
/// The buttons work when the Slack app's interactivity request URL points to <c>MapSlackInteractionEndpoint</c>.
/// Thread-safe.
/// </remarks>
internal sealed class SlackWebhookChannel : IApprovalChannel, IDisposable
{
    private readonly Uri _webhook;
    private readonly HttpClient _http;
    private readonly bool _ownsClient;

    /// <summary>Initializes a new instance of the <see cref="SlackWebhookChannel"/> class.</summary>
    /// <param name="options">The settings; validated and copied here.</param>
    /// <param name="httpClient">The client that posts; <see langword="null"/> to use one of the channel's own (recycling connections every few minutes).</param>
    public SlackWebhookChannel(SlackWebhookChannelOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = options.Name;
        _webhook = options.WebhookUri!;
        _ownsClient = httpClient is null;
        _http = httpClient ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        JsonObject message = SlackMessages.Build(delivery);
        using HttpResponseMessage response = await _http.PostAsJsonAsync(_webhook, message, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The Slack webhook of channel '{Name}' answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
        }
    }

    /// <summary>Disposes the channel's own HTTP client, if it made one.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    /// <summary>Builds the Block Kit message this channel posts for <paramref name="delivery"/> (for previews and tests).</summary>
    /// <param name="delivery">What to announce.</param>
    /// <returns>The JSON message.</returns>
    public static JsonObject BuildMessage(ApprovalDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return SlackMessages.Build(delivery);
    }
}
