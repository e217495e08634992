using MailKit.Net.Smtp;
using MimeKit;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// Sends approvals by e-mail over SMTP (MailKit): one message per recipient, in plain text and HTML. A pending approval
/// lists each call with the policy's reason and its arguments, and signed approve and reject links bound to that recipient;
/// other changes get a short announcement.
/// </summary>
/// <remarks>
/// The links open the confirmation page of <c>MapApprovalLinkEndpoints</c>; opening one decides nothing. If sending to one
/// recipient fails, the whole delivery is retried, so earlier recipients may get the message twice. Thread-safe.
/// </remarks>
internal sealed class SmtpEmailChannel : IApprovalChannel
{
    private readonly SmtpEmailChannelOptions _options;
    private readonly MailboxAddress _from;
    private readonly string[] _recipients;
    private readonly ApprovalLinkIssuer? _links;

    /// <summary>Initializes a new instance of the <see cref="SmtpEmailChannel"/> class.</summary>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="links">Makes the approve and reject links; required to send approval requests (announcements need none).</param>
    public SmtpEmailChannel(SmtpEmailChannelOptions options, ApprovalLinkIssuer? links)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _from = new MailboxAddress(options.FromName, MailboxAddress.Parse(options.From).Address);
        _recipients = [.. options.Recipients];
        _links = links;
        Name = options.Name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        List<MimeMessage> messages = [.. _recipients.Select(r => EmailMessages.Build(delivery, _from, r, _links))];
        using SmtpClient client = new() { Timeout = (int)_options.Timeout.TotalMilliseconds };
        await client.ConnectAsync(_options.Host, _options.Port, _options.Security, cancellationToken).ConfigureAwait(false);
        if (_options.UserName is { } user)
        {
            await client.AuthenticateAsync(user, _options.Password ?? "", cancellationToken).ConfigureAwait(false);
        }

        foreach (MimeMessage message in messages)
        {
            using (message)
            {
                await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }

        await client.DisconnectAsync(true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the message this channel sends to one recipient (for previews and tests).</summary>
    /// <param name="delivery">What to announce.</param>
    /// <param name="recipient">The recipient's address.</param>
    /// <returns>The message.</returns>
    public MimeMessage BuildMessage(ApprovalDelivery delivery, string recipient)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentException.ThrowIfNullOrWhiteSpace(recipient);
        return EmailMessages.Build(delivery, _from, recipient, _links);
    }
}
