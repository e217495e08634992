using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// Posts approvals to a Slack incoming webhook as Block Kit messages: for a pending approval, each call with the policy's
/// reason, its arguments, and Approve / Reject buttons whose values carry the approval id, the call id and the call's
/// fingerprint; for other changes, a one-line announcement.
/// </summary>
/// <remarks>
/// The buttons work when the Slack app's interactivity request URL points to <c>MapSlackInteractionEndpoint</c>. Posts with
/// the <see cref="IHttpClientFactory"/> client named by <see cref="SlackWebhookChannelOptions.HttpClientName"/>. Thread-safe.
/// </remarks>
internal sealed class SlackWebhookChannel : IApprovalChannel
{
    private readonly Uri _webhook;
    private readonly IHttpClientFactory _httpClients;
    private readonly string _httpClientName;

    /// <summary>Initializes a new instance of the <see cref="SlackWebhookChannel"/> class.</summary>
    /// <param name="options">The settings; validated and copied here.</param>
    /// <param name="httpClients">The factory of the named client that posts (<see cref="SlackWebhookChannelOptions.HttpClientName"/>).</param>
    public SlackWebhookChannel(SlackWebhookChannelOptions options, IHttpClientFactory httpClients)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClients);
        options.Validate();
        Name = options.Name;
        _webhook = options.WebhookUri!;
        _httpClients = httpClients;
        _httpClientName = options.HttpClientName;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        JsonObject message = SlackMessages.Build(delivery);

        // A client per message, as the factory intends: its handlers (and their connections) are pooled and rotated by the factory.
        HttpClient http = _httpClients.CreateClient(_httpClientName);
        using HttpResponseMessage response = await http.PostAsJsonAsync(_webhook, message, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The Slack webhook of channel '{Name}' answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
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
