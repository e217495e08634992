namespace HumanInLoop.AspNetCore;

/// <summary>Settings of the approver's console mapped by <c>MapApprovalConsole</c>: who may open it, whether anyone may decide in it, and the endpoint rules it shares.</summary>
/// <remarks>Configured once, when the console is mapped; later changes are ignored. Not thread-safe while being configured.</remarks>
public sealed class ApprovalConsoleOptions
{
    private string _title = "Approvals";
    private TimeSpan? _changePollInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets the rules the console shares with <c>MapApprovalEndpoints</c>: who may read (<see cref="ApprovalEndpointOptions.ReaderPolicy"/>),
    /// decide (<see cref="ApprovalEndpointOptions.ApproverPolicy"/>) and resume, tenants, how the approver is built from the user, and
    /// where a resume runs (<see cref="ApprovalEndpointOptions.ResumeTarget"/>; without it the console decides but does not resume).
    /// Set them as you set those of the endpoints. <see cref="ApprovalEndpointOptions.ValidateAntiforgery"/> is ignored: the console
    /// always validates an anti-forgery token on every <c>POST</c>, since it runs in a browser with cookies.
    /// </summary>
    public ApprovalEndpointOptions Endpoints { get; } = new();

    /// <summary>
    /// Gets or sets the ASP.NET Core authorization policy a user must satisfy to open the console at all: its page, its assets and its
    /// data. Checked by the authorization middleware (<c>app.UseAuthorization()</c>) before anything else; reading and deciding are then
    /// checked again with <see cref="Endpoints"/>.
    /// </summary>
    /// <value>Default <see cref="ApprovalEndpointOptions.DefaultApproverPolicy"/>. <see langword="null"/>: any authenticated user.</value>
    public string? OpenPolicy { get; set; } = ApprovalEndpointOptions.DefaultApproverPolicy;

    /// <summary>
    /// Gets or sets a value indicating whether the console is read-only for everyone (an auditors' console): it shows every approval
    /// the user may read and no decision controls, and refuses every decision and resume with 403. A user who may read but not decide
    /// (<see cref="ApprovalEndpointOptions.ApproverPolicy"/>) gets the read-only console anyway.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Gets the candidate policy sets the console's replay view offers, by the name it shows: for each, the calls it would have
    /// allowed that a person rejected, edited or answered instead, and the reverse counts (<see cref="ApprovalHistory.ReplayAsync"/>).
    /// A replay only evaluates the policies over recorded calls; it runs no tool and changes no record.
    /// </summary>
    /// <value>Empty by default: the replay view then says that the host offers no candidate.</value>
    /// <example><c>o.ReplayCandidates["Transfers up to 500 run alone"] = [ApprovalPolicy.RequireApprovalWhen&lt;Transfer&gt;("transfer", t =&gt; t.Amount &gt; 500)];</c></example>
    public IDictionary<string, IReadOnlyList<IApprovalPolicy>> ReplayCandidates { get; } = new Dictionary<string, IReadOnlyList<IApprovalPolicy>>(StringComparer.Ordinal);

    /// <summary>Gets or sets the title of the page.</summary>
    /// <value>Default <c>Approvals</c>; not empty.</value>
    public string Title
    {
        get => _title;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _title = value;
        }
    }

    /// <summary>
    /// Gets or sets how often the console reads the store for changes made by other app servers sharing it (approvals held there,
    /// decided, expired or cancelled there), so that a console open on this server shows them live. One reader per process, only
    /// while at least one console page is open; each read lists up to 1,000 pending approvals (the newest) and compares their
    /// versions with the last read, then reads each approval that changed or left the list. Changes made in this process are
    /// pushed at once, without waiting for a read.
    /// </summary>
    /// <value>
    /// Default 5 seconds; at most one hour. <see langword="null"/> or <see cref="TimeSpan.Zero"/>: no reads, only changes made in
    /// this process are live (one app server, or a host that pushes changes its own way). When several consoles are mapped in one
    /// application, the shortest interval of those that read is used.
    /// </value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or longer than one hour.</exception>
    public TimeSpan? ChangePollInterval
    {
        get => _changePollInterval;
        set
        {
            if (value is { } interval)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero, nameof(value));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(interval, TimeSpan.FromHours(1), nameof(value));
            }

            _changePollInterval = value;
        }
    }
}
