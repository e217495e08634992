using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ApprovalWorkflow;
using HumanInLoop.Notifications;
using HumanInLoop.Notifications.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace HumanInLoop.Notifications.Tests.Infrastructure;

/// <summary>
/// Everything the sample needs, on loopback: a temp folder with its SQLite file, an SMTP server, a webhook receiver, a
/// fake clock, and a port. Hosts started from one environment share the database, so a restart can be tested.
/// </summary>
internal sealed partial class WorkflowEnvironment : IAsyncDisposable
{
    public const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    public static readonly byte[] LinkKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private WorkflowEnvironment(string directory, SmtpTestServer smtp, WebhookReceiver slack, int port)
    {
        Directory = directory;
        Smtp = smtp;
        Slack = slack;
        Port = port;
        BaseUri = new Uri($"http://127.0.0.1:{port}");
    }

    public string Directory { get; }

    public SmtpTestServer Smtp { get; }

    public WebhookReceiver Slack { get; }

    public int Port { get; }

    public Uri BaseUri { get; }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public Dictionary<string, string?> Settings { get; } = [];

    public static async Task<WorkflowEnvironment> CreateAsync()
    {
        string directory = Path.Combine(Path.GetTempPath(), "hil-notify-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        WorkflowEnvironment environment = new(directory, new SmtpTestServer(), await WebhookReceiver.StartAsync(), FreePort());
        environment.Settings["Urls"] = environment.BaseUri.ToString();
        environment.Settings["Logging:LogLevel:Default"] = "Warning";
        environment.Settings["Workflow:Database"] = Path.Combine(directory, "workflow.db");
        environment.Settings["Workflow:InboxFolder"] = Path.Combine(directory, "inbox");
        environment.Settings["Workflow:ProcessedFolder"] = Path.Combine(directory, "processed");
        environment.Settings["Workflow:OutboxFolder"] = Path.Combine(directory, "outbox");
        environment.Settings["Workflow:PollInterval"] = "00:00:05";
        environment.Settings["Workflow:ApprovalThreshold"] = "1000";
        environment.Settings["Workflow:ApprovalTimeout"] = "1.00:00:00";
        environment.Settings["Workflow:AutoResume"] = "true";
        environment.Settings["Workflow:PublicBaseUri"] = environment.BaseUri.ToString();
        environment.Settings["Approvals:LinkSigningKey"] = Convert.ToBase64String(LinkKey);
        environment.Settings["Approvals:LinkLifetime"] = "12:00:00";
        environment.Settings["Approvals:ExpiryInterval"] = "00:01:00";
        environment.Settings["Approvals:InitialRetryDelay"] = "00:00:01";
        environment.Settings["Approvals:Recipients:0"] = "alice@example.com";
        environment.Settings["Approvals:Recipients:1"] = "mallory@example.com";
        environment.Settings["Approvals:Smtp:Host"] = "127.0.0.1";
        environment.Settings["Approvals:Smtp:Port"] = environment.Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment.Settings["Approvals:Smtp:Security"] = "None";
        environment.Settings["Approvals:Smtp:From"] = "approvals@example.com";
        environment.Settings["Approvals:Slack:WebhookUri"] = environment.Slack.Uri.ToString();
        environment.Settings["Approvals:Slack:SigningSecret"] = SlackSecret;
        environment.Settings["Approvals:Approvers:0:Id"] = "alice";
        environment.Settings["Approvals:Approvers:0:Email"] = "alice@example.com";
        environment.Settings["Approvals:Approvers:0:Slack"] = "U0ALICE";
        environment.Settings["Approvals:Approvers:0:Roles:0"] = "finance";
        environment.Settings["Approvals:Approvers:1:Id"] = "bob";
        environment.Settings["Approvals:Approvers:1:Slack"] = "U0BOB";
        environment.Settings["Approvals:Approvers:1:Roles:0"] = "sales";

        // The offline scripted model, whatever the developer's environment says; a test sets these to use a real endpoint.
        foreach (string key in (string[])["Model:Endpoint", "Model:Name", "Model:ApiKey", "HUMANINLOOP_OPENAI_ENDPOINT", "HUMANINLOOP_OPENAI_MODEL", "HUMANINLOOP_OPENAI_API_KEY"])
        {
            environment.Settings[key] = "";
        }

        return environment;
    }

    /// <summary>Starts the sample host on this environment (its database, clock and servers).</summary>
    /// <param name="replaceServices">Runs after the sample's own registrations, to wrap one of its services.</param>
    /// <param name="listenOn">Where this host listens, if not on <see cref="BaseUri"/> (a second host on the same database; links still point to <see cref="BaseUri"/>).</param>
    public async Task<WebApplication> StartHostAsync(Action<IServiceCollection>? replaceServices = null, Uri? listenOn = null)
    {
        Dictionary<string, string?> settings = new(Settings);
        if (listenOn is not null)
        {
            settings["Urls"] = listenOn.ToString();
        }

        WebApplication app = WorkflowApp.Create(
            ["--contentRoot", Directory],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                builder.Logging.ClearProviders();
                builder.Services.AddSingleton<TimeProvider>(Time);
                builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Directory, "keys")));
            },
            replaceServices);
        await app.StartAsync();
        return app;
    }

    public HttpClient Client(Uri? host = null) => new() { BaseAddress = host ?? BaseUri };

    /// <summary>Another free address on loopback, for a second host.</summary>
    public static Uri NewAddress() => new($"http://127.0.0.1:{FreePort()}");

    public async Task<HttpResponseMessage> PostInvoiceAsync(string id, string vendor, decimal amount)
    {
        using HttpClient client = Client();
        return await client.PostAsJsonAsync("/invoices", new { id, vendor, amount });
    }

    public async Task<WorkflowRecord> WaitForWorkflowAsync(string workflowId, string status, TimeSpan? advance = null)
    {
        WorkflowRecord? last = null;
        await Eventually.TrueAsync(async () => (last = await GetWorkflowAsync(workflowId))?.Status == status,
            $"workflow {workflowId} to be {status} (last: {last})", advance is null ? null : Time, advance);
        return last!;
    }

    public async Task<WorkflowRecord?> GetWorkflowAsync(string workflowId)
    {
        using HttpClient client = Client();
        using HttpResponseMessage response = await client.GetAsync($"/workflows/{workflowId}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Content.ReadFromJsonAsync<WorkflowRecord>();
    }

    public async Task<List<PaymentRecord>> PaymentsAsync()
    {
        using HttpClient client = Client();
        return (await client.GetFromJsonAsync<List<PaymentRecord>>("/payments"))!;
    }

    /// <summary>Waits for the e-mail to <paramref name="recipient"/> about <paramref name="approvalId"/> with a subject starting with <paramref name="subjectStart"/>.</summary>
    public async Task<MimeMessage> WaitForMailAsync(string recipient, string approvalId, string subjectStart)
    {
        MimeMessage? found = null;
        await Eventually.TrueAsync(() => (found = Smtp.Messages.Select(m => m.Message).FirstOrDefault(m =>
            m.To.Mailboxes.Any(b => b.Address == recipient) && m.Headers["X-HumanInLoop-Approval"] == approvalId &&
            (m.Subject ?? "").StartsWith(subjectStart, StringComparison.Ordinal))) is not null, $"mail '{subjectStart}' to {recipient} about {approvalId}");
        return found!;
    }

    /// <summary>
    /// Waits until <paramref name="host"/> has recorded the approval request as delivered on the e-mail channel. A test that moves
    /// the fake clock must wait for this, not only for the mail: the mail server has the message before the SMTP exchange ends and
    /// before the record is written, and a jump of the clock then times the attempt out (the channel cannot tell that the message
    /// went out), so it is retried and sent twice, as at-least-once delivery allows.
    /// </summary>
    public static Task WaitForRequestRecordedAsync(WebApplication host, string approvalId, string channel = "email") =>
        Eventually.TrueAsync(
            () => host.Services.GetRequiredService<INotificationStore>().IsDeliveredAsync(DeliveryWork.Key(approvalId, nameof(ApprovalNotificationKind.Pending), null, channel)),
            $"the {channel} request for {approvalId} recorded as delivered");

    /// <summary>Waits until <paramref name="host"/> has recorded the escalation as delivered on <paramref name="channel"/>; see <see cref="WaitForRequestRecordedAsync"/> for why.</summary>
    public static Task WaitForEscalationRecordedAsync(WebApplication host, string approvalId, string channel = "escalation") =>
        Eventually.TrueAsync(
            () => host.Services.GetRequiredService<INotificationStore>().IsDeliveredAsync(DeliveryWork.EscalationKey(approvalId, channel)),
            $"the escalation of {approvalId} on {channel} recorded as delivered");

    public static (Uri Approve, Uri Reject) Links(MimeMessage message)
    {
        MatchCollection approve = ApproveLink().Matches(message.TextBody ?? "");
        MatchCollection reject = RejectLink().Matches(message.TextBody ?? "");
        Assert.Single(approve);
        Assert.Single(reject);
        return (new Uri(approve[0].Groups[1].Value), new Uri(reject[0].Groups[1].Value));
    }

    public async ValueTask DisposeAsync()
    {
        await Smtp.DisposeAsync();
        await Slack.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    // A free port below the kernel's ephemeral range (32768-60999 on Linux). A port the kernel hands out (port 0) is released
    // here and bound later by the host; in between, any outgoing connection of the parallel test runs could take it as its
    // own ephemeral port (CI saw "address already in use"). Ports below that range are never handed out that way.
    private static int FreePort()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using TcpListener listener = new(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException) when (attempt < 100)
            {
            }
        }
    }

    [GeneratedRegex(@"Approve: (\S+)")]
    private static partial Regex ApproveLink();

    [GeneratedRegex(@"Reject:  (\S+)")]
    private static partial Regex RejectLink();
}
