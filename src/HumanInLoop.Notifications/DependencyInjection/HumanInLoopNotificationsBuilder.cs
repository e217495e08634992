using HumanInLoop;
using HumanInLoop.Notifications;
using HumanInLoop.Notifications.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds channels, links, the Slack endpoint's settings, expiry and stores to the notification delivery.</summary>
/// <remarks>Returned by <c>AddHumanInLoopNotifications</c>; each method registers services and returns the builder.</remarks>
public sealed class HumanInLoopNotificationsBuilder
{
    internal HumanInLoopNotificationsBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds a channel that posts approvals to a Slack incoming webhook as Block Kit messages, with Approve and Reject buttons for
    /// <c>MapSlackInteractionEndpoint</c>. Call it again with another name for more webhooks. It posts with the
    /// <see cref="IHttpClientFactory"/> client named <see cref="SlackWebhookChannelOptions.DefaultHttpClientName"/> (or
    /// <see cref="SlackWebhookChannelOptions.HttpClientName"/>), registered here: add handlers, a proxy or
    /// <c>AddStandardResilienceHandler()</c> with <c>services.AddHttpClient(SlackWebhookChannelOptions.DefaultHttpClientName)</c>.
    /// </summary>
    /// <param name="configure">Sets the webhook URL and name.</param>
    /// <returns>This builder.</returns>
    /// <remarks>
    /// The delivery service already retries a failed message (see <see cref="ApprovalNotificationOptions.MaxAttempts"/>); a
    /// resilience handler on the client retries inside each of those attempts, so keep its retries few and its total time
    /// under <see cref="ApprovalNotificationOptions.AttemptTimeout"/>.
    /// </remarks>
    public HumanInLoopNotificationsBuilder AddSlackWebhook(Action<SlackWebhookChannelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        SlackWebhookChannelOptions options = new();
        configure(options);
        Services.AddHttpClient(options.HttpClientName ?? SlackWebhookChannelOptions.DefaultHttpClientName);
        Services.AddSingleton<IApprovalChannel>(provider => new SlackWebhookChannel(options, provider.GetRequiredService<IHttpClientFactory>()));
        return this;
    }

    /// <summary>Adds a channel that e-mails approvals over SMTP (MailKit), one message per recipient with signed approve and reject links; approval requests need <see cref="AddApprovalLinks"/> too. Call it again with another name for more.</summary>
    /// <param name="configure">Sets the server, sender, recipients and name.</param>
    /// <returns>This builder.</returns>
    public HumanInLoopNotificationsBuilder AddSmtpEmail(Action<SmtpEmailChannelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        SmtpEmailChannelOptions options = new();
        configure(options);
        Services.AddSingleton<IApprovalChannel>(provider => new SmtpEmailChannel(options, provider.GetService<ApprovalLinkIssuer>()));
        return this;
    }

    /// <summary>Adds a custom channel.</summary>
    /// <typeparam name="TChannel">The channel type, created by the container.</typeparam>
    /// <returns>This builder.</returns>
    public HumanInLoopNotificationsBuilder AddChannel<TChannel>()
        where TChannel : class, IApprovalChannel
    {
        Services.AddSingleton<IApprovalChannel, TChannel>();
        return this;
    }

    /// <summary>Registers the <see cref="ApprovalLinkIssuer"/> for e-mailed links, and antiforgery for their confirmation page. Map the endpoints with <c>MapApprovalLinkEndpoints</c>.</summary>
    /// <param name="configure">Sets the base address and the signing key.</param>
    /// <returns>This builder.</returns>
    public HumanInLoopNotificationsBuilder AddApprovalLinks(Action<ApprovalLinkOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.AddOptions<ApprovalLinkOptions>().Configure(configure);
        Services.AddAntiforgery();
        Services.TryAddSingleton(provider => new ApprovalLinkIssuer(provider.GetRequiredService<IOptions<ApprovalLinkOptions>>().Value, provider.GetService<TimeProvider>()));
        return this;
    }

    /// <summary>Sets the Slack app's signing secret for <c>MapSlackInteractionEndpoint</c>.</summary>
    /// <param name="configure">Sets the signing secret.</param>
    /// <returns>This builder.</returns>
    public HumanInLoopNotificationsBuilder AddSlackInteractions(Action<SlackInteractionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.AddOptions<SlackInteractionOptions>().Configure(configure);
        return this;
    }

    /// <summary>Adds the <see cref="ApprovalExpiryService"/> as a hosted service: expires due approvals, escalating first if configured.</summary>
    /// <param name="configure">Sets the interval and the escalation lead time.</param>
    /// <returns>This builder.</returns>
    public HumanInLoopNotificationsBuilder AddApprovalExpiry(Action<ApprovalExpiryOptions>? configure = null)
    {
        OptionsBuilder<ApprovalExpiryOptions> options = Services.AddOptions<ApprovalExpiryOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        Services.TryAddSingleton(provider => new ApprovalExpiryService(
            provider.GetRequiredService<ApprovalService>(),
            provider.GetRequiredService<IOptions<ApprovalExpiryOptions>>(),
            provider.GetRequiredService<ApprovalNotificationDispatcher>(),
            provider.GetService<TimeProvider>(),
            provider.GetService<ILogger<ApprovalExpiryService>>()));
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ExpiryHostedService>());
        return this;
    }

    /// <summary>Registers who may decide from e-mail links and Slack buttons, as an <see cref="ApproverDirectory"/>.</summary>
    /// <param name="configure">Adds the addresses and Slack users.</param>
    /// <returns>This builder.</returns>
    public HumanInLoopNotificationsBuilder AddApprovers(Action<ApproverDirectory> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ApproverDirectory directory = new();
        configure(directory);
        Services.RemoveAll<IApproverDirectory>();
        Services.AddSingleton<IApproverDirectory>(directory);
        return this;
    }

    /// <summary>Resolves the expiry service as a hosted service (so that it is also resolvable by its own type).</summary>
    private sealed class ExpiryHostedService(ApprovalExpiryService service) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => service.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => service.StopAsync(cancellationToken);
    }
}
