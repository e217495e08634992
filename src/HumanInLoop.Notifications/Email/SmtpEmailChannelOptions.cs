using MailKit.Security;

namespace HumanInLoop.Notifications;

/// <summary>Settings of an e-mail channel, added with <c>AddSmtpEmail</c>: the SMTP server, the sender and the recipients.</summary>
/// <remarks>A plain settings object, validated once when the channel is created.</remarks>
public sealed class SmtpEmailChannelOptions
{
    /// <summary>Gets or sets the channel's name, unique among channels (it keys the delivery records).</summary>
    /// <value>Default <c>email</c>.</value>
    public string Name { get; set; } = "email";

    /// <summary>Gets or sets the SMTP server's host name.</summary>
    /// <value>Required.</value>
    public string Host { get; set; } = "";

    /// <summary>Gets or sets the SMTP server's port.</summary>
    /// <value>Default 587 (submission).</value>
    public int Port { get; set; } = 587;

    /// <summary>Gets or sets how the connection is secured.</summary>
    /// <value>Default <see cref="SecureSocketOptions.StartTls"/>: refuse a server that does not offer TLS. Use <see cref="SecureSocketOptions.None"/> only on loopback.</value>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>Gets or sets the user name to authenticate with, or <see langword="null"/> to send without authenticating.</summary>
    public string? UserName { get; set; }

    /// <summary>Gets or sets the password to authenticate with.</summary>
    public string? Password { get; set; }

    /// <summary>Gets or sets the sender's address.</summary>
    /// <value>Required.</value>
    public string From { get; set; } = "";

    /// <summary>Gets or sets the sender's display name.</summary>
    /// <value>Default <c>Approvals</c>.</value>
    public string FromName { get; set; } = "Approvals";

    /// <summary>
    /// Gets the recipients' addresses. Each gets its own message with links bound to its address; the
    /// <see cref="IApproverDirectory"/> decides, when a link is used, who that address is and whether it may decide.
    /// </summary>
    public IList<string> Recipients { get; } = [];

    /// <summary>Gets or sets the longest one SMTP operation may take.</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new InvalidOperationException($"SmtpEmailChannelOptions: {message}");
            }
        }

        Require(!string.IsNullOrWhiteSpace(Name), "Name must not be empty.");
        Require(!string.IsNullOrWhiteSpace(Host), $"Host of channel '{Name}' is required.");
        Require(Port is > 0 and <= 65535, $"Port of channel '{Name}' must be from 1 to 65535.");
        Require(MimeKit.MailboxAddress.TryParse(From, out _), $"From of channel '{Name}' must be an e-mail address.");
        Require(Recipients.Count > 0, $"channel '{Name}' needs at least one recipient.");
        Require(Recipients.All(r => MimeKit.MailboxAddress.TryParse(r, out _)), $"every recipient of channel '{Name}' must be an e-mail address.");
        Require(Timeout > TimeSpan.Zero && Timeout <= TimeSpan.FromMinutes(10), "Timeout must be more than zero and at most 10 minutes.");
    }
}
