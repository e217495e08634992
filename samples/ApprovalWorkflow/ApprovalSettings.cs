using MailKit.Security;

namespace ApprovalWorkflow;

/// <summary>The notification settings (section <c>Approvals</c>). Secrets belong in user secrets or the environment, not in appsettings.json.</summary>
internal sealed class ApprovalSettings
{
    /// <summary>Gets or sets the base64 key (32 bytes or more) that signs approve/reject links. Empty: a development key is made and kept next to the database.</summary>
    public string? LinkSigningKey { get; set; }

    /// <summary>Gets or sets how long a link works at most (never past the approval's deadline).</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromDays(3);

    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how long before the deadline an undecided approval goes to <see cref="EscalationRecipients"/>; empty for never.</summary>
    public TimeSpan? EscalationLeadTime { get; set; }

    public List<string> Recipients { get; set; } = [];

    public List<string> EscalationRecipients { get; set; } = [];

    public SmtpSettings Smtp { get; set; } = new();

    public SlackSettings Slack { get; set; } = new();

    public List<ApproverSettings> Approvers { get; set; } = [];

    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public int MaxAttempts { get; set; } = 8;

    internal sealed class SmtpSettings
    {
        /// <summary>Gets or sets the SMTP host; empty to write messages to the outbox folder instead.</summary>
        public string? Host { get; set; }

        public int Port { get; set; } = 587;

        public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

        public string? UserName { get; set; }

        public string? Password { get; set; }

        public string From { get; set; } = "approvals@example.com";
    }

    internal sealed class SlackSettings
    {
        /// <summary>Gets or sets the incoming webhook URL; empty for no Slack.</summary>
        public Uri? WebhookUri { get; set; }

        /// <summary>Gets or sets the app's signing secret, for the buttons' callbacks.</summary>
        public string? SigningSecret { get; set; }
    }

    internal sealed class ApproverSettings
    {
        public string Id { get; set; } = "";

        public string? Email { get; set; }

        public string? Slack { get; set; }

        public List<string> Roles { get; set; } = [];
    }
}
