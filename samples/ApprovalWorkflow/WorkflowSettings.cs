namespace ApprovalWorkflow;

/// <summary>The sample's settings (section <c>Workflow</c>); paths are relative to the working directory.</summary>
internal sealed class WorkflowSettings
{
    /// <summary>Gets or sets the SQLite file with approvals, workflows, payments, delivery records and used links.</summary>
    public string Database { get; set; } = "approval-workflow.db";

    public string InboxFolder { get; set; } = "invoices/inbox";

    public string ProcessedFolder { get; set; } = "invoices/processed";

    /// <summary>Gets or sets where messages go when no SMTP server is configured: text files with the links, to open by hand.</summary>
    public string OutboxFolder { get; set; } = "outbox";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long an inbox file that is not a valid invoice must stay unchanged before it is rejected (it may still be being written).</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the amount above which a payment needs a person.</summary>
    public decimal ApprovalThreshold { get; set; } = 1000m;

    /// <summary>Gets or sets how long an approval waits before it expires and the invoice is left unpaid.</summary>
    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Gets or sets whether a decided or expired approval is resumed at once, without a call to the resume endpoint.</summary>
    public bool AutoResume { get; set; } = true;

    /// <summary>
    /// Gets or sets how long a workflow may stay <c>Running</c> untouched before a host takes it over as interrupted (its host
    /// stopped mid-way). Several hosts may share the database: a workflow another host is running now is left alone, and of
    /// several hosts looking at an interrupted one, one takes it over. The host running a workflow touches it every fifth of this
    /// (a heartbeat), so a model call longer than this does not make the workflow look interrupted.
    /// </summary>
    public TimeSpan InterruptedAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the address people reach this host at; links in messages point here.</summary>
    public Uri PublicBaseUri { get; set; } = new("http://localhost:5080");
}
