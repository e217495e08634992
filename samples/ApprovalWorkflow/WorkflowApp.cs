using System.Security.Cryptography;
using HumanInLoop;
using HumanInLoop.Notifications;
using HumanInLoop.Samples;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ApprovalWorkflow;

/// <summary>Arguments of the <c>pay_invoice</c> tool, as the policy reads them.</summary>
internal sealed record PayInvoiceArguments(string InvoiceId, string Amount, string Payee);

/// <summary>Composes the host: the approval gate over the SQLite store, notifications, links, Slack, expiry, the worker and its endpoints.</summary>
internal static class WorkflowApp
{
    public const string LinkPath = "/approvals/links";
    public const string SlackPath = "/approvals/slack/interactions";

    /// <param name="args">The command line.</param>
    /// <param name="configure">Runs first, before the configuration is read (tests add settings and a clock here).</param>
    /// <param name="replaceServices">Runs after every registration, before the build (tests wrap a service here).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null, Action<IServiceCollection>? replaceServices = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        IServiceCollection services = builder.Services;
        WorkflowSettings settings = builder.Configuration.GetSection("Workflow").Get<WorkflowSettings>() ?? new();
        ApprovalSettings approvals = builder.Configuration.GetSection("Approvals").Get<ApprovalSettings>() ?? new();
        string connectionString = $"Data Source={settings.Database}";

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings);
        services.AddSingleton(provider => new WorkflowDatabase(connectionString, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<WorkQueue>();
        services.AddSingleton<WorkflowRunner>();
        services.AddHostedService<InvoiceWorker>();
        services.AddSingleton<InvoiceFolderWatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<InvoiceFolderWatcher>());

        // The approval gate: payments over the threshold wait for someone in the finance role.
        services.AddHumanInLoopSqlite(connectionString);
        services.AddHumanInLoop(options =>
        {
            options.Policies.Add(ApprovalPolicy.RequireApprovalWhen<PayInvoiceArguments>(
                "pay_invoice",
                payment => decimal.Parse(payment.Amount, System.Globalization.CultureInfo.InvariantCulture) > settings.ApprovalThreshold,
                $"Payments over ${settings.ApprovalThreshold} need someone from finance.",
                approvers: ["finance"],
                expiresAfter: settings.ApprovalTimeout));
            options.IdempotentTools.Add("pay_invoice");
        });
        if (settings.AutoResume)
        {
            services.AddSingleton<IApprovalNotifier, ResumeOnDecisionNotifier>();
        }

        // The offline scripted model unless an OpenAI-compatible endpoint is configured; a bad setting stops the start here.
        ModelSettings? model = ModelSettings.Read(builder.Configuration);
        services.AddChatClient(model?.CreateChatClient() ?? new OfflineInvoiceModel()).UseFunctionInvocation().UseApprovalGate();

        // Notifications: e-mail (or the outbox folder offline), Slack if configured, signed links, expiry with escalation.
        // Delivery records and used links in the same SQLite file as the approvals (HumanInLoop.Sqlite provides the store).
        services.AddHumanInLoopSqliteNotificationStore(connectionString);
        HumanInLoopNotificationsBuilder notifications = services.AddHumanInLoopNotifications(options =>
            {
                options.InitialRetryDelay = approvals.InitialRetryDelay;
                options.MaxAttempts = approvals.MaxAttempts;
                if (approvals.EscalationLeadTime is not null && approvals.EscalationRecipients.Count > 0)
                {
                    options.EscalationChannels.Add("escalation");
                }
            })
            .AddApprovalLinks(options =>
            {
                options.BaseUri = new Uri(settings.PublicBaseUri.AbsoluteUri.TrimEnd('/') + LinkPath);
                options.SigningKey = LinkSigningKey(approvals, settings);
                options.Lifetime = approvals.LinkLifetime;
            })
            .AddApprovers(directory =>
            {
                foreach (ApprovalSettings.ApproverSettings approver in approvals.Approvers)
                {
                    Approver who = new(approver.Id, approver.Roles);
                    if (approver.Email is { Length: > 0 } email)
                    {
                        directory.AddEmail(email, who);
                    }

                    if (approver.Slack is { Length: > 0 } slack)
                    {
                        directory.AddSlackUser(slack, who);
                    }
                }
            })
            .AddApprovalExpiry(options =>
            {
                options.Interval = approvals.ExpiryInterval;
                options.EscalationLeadTime = approvals.EscalationRecipients.Count > 0 ? approvals.EscalationLeadTime : null;
            });
        AddMail(notifications, "email", approvals.Recipients, approvals, settings);
        if (approvals.EscalationLeadTime is not null && approvals.EscalationRecipients.Count > 0)
        {
            AddMail(notifications, "escalation", approvals.EscalationRecipients, approvals, settings);
        }

        if (approvals.Slack.WebhookUri is { } webhook)
        {
            notifications.AddSlackWebhook(options => options.WebhookUri = webhook);
        }

        if (!string.IsNullOrEmpty(approvals.Slack.SigningSecret))
        {
            notifications.AddSlackInteractions(options => options.SigningSecret = approvals.Slack.SigningSecret);
        }

        // Who may open the approver's console: a (demo) cookie sign-in for the configured approvers; deciding needs the finance role.
        ConsoleSignIn.AddServices(services);

        replaceServices?.Invoke(services);
        WebApplication app = builder.Build();
        ModelSettings.LogModel(app.Logger, model?.ToString() ?? "the offline scripted stand-in (OfflineInvoiceModel); set Model:Endpoint and Model:Name for a real one");
        app.MapApprovalLinkEndpoints(LinkPath);
        if (!string.IsNullOrEmpty(approvals.Slack.SigningSecret))
        {
            app.MapSlackInteractionEndpoint(SlackPath);
        }

        MapWorkflowEndpoints(app);

        // The approver's console, one line: decisions there resume the workflow like any other (AutoResume, or POST /workflows/{id}/resume).
        app.UseAuthentication();
        app.UseAuthorization();
        ConsoleSignIn.Map(app, approvals);
        app.MapApprovalConsole("/console");
        return app;
    }

    private static void AddMail(HumanInLoopNotificationsBuilder notifications, string name, List<string> recipients, ApprovalSettings approvals, WorkflowSettings settings)
    {
        if (recipients.Count == 0)
        {
            return;
        }

        if (string.IsNullOrEmpty(approvals.Smtp.Host))
        {
            notifications.Services.AddSingleton<IApprovalChannel>(provider =>
                new OutboxChannel(name, settings.OutboxFolder, recipients, provider.GetRequiredService<ApprovalLinkIssuer>()));
            return;
        }

        notifications.AddSmtpEmail(options =>
        {
            options.Name = name;
            options.Host = approvals.Smtp.Host;
            options.Port = approvals.Smtp.Port;
            options.Security = approvals.Smtp.Security;
            options.UserName = approvals.Smtp.UserName;
            options.Password = approvals.Smtp.Password;
            options.From = approvals.Smtp.From;
            foreach (string recipient in recipients)
            {
                options.Recipients.Add(recipient);
            }
        });
    }

    private static void MapWorkflowEndpoints(WebApplication app)
    {
        app.MapPost("/invoices", (Invoice invoice, WorkQueue queue) =>
        {
            if (!invoice.IsValid(out string problem))
            {
                return Results.BadRequest(new { problem });
            }

            queue.TryEnqueue(new StartInvoice(invoice));
            return Results.Accepted($"/workflows/{invoice.WorkflowId}", new { workflowId = invoice.WorkflowId });
        });

        app.MapGet("/workflows", async (WorkflowDatabase database) => Results.Ok(await database.ListAsync()));

        app.MapGet("/workflows/{id}", async (string id, WorkflowDatabase database) =>
            await database.GetAsync(id) is { } workflow ? Results.Ok(workflow) : Results.NotFound());

        // Continues a workflow by its id once its approval is decided; safe to call any number of times, from any host.
        app.MapPost("/workflows/{id}/resume", async (string id, WorkflowRunner runner, CancellationToken cancellationToken) =>
        {
            (WorkflowRecord? workflow, string? problem) = await runner.ResumeAsync(id, cancellationToken);
            return workflow is null ? Results.NotFound()
                : problem is not null ? Results.Conflict(new { workflow, problem })
                : Results.Ok(workflow);
        });

        app.MapGet("/payments", async (WorkflowDatabase database) => Results.Ok(await database.ListPaymentsAsync()));
    }

    /// <summary>The configured key, or a development key kept next to the database so links survive a restart.</summary>
    private static byte[] LinkSigningKey(ApprovalSettings approvals, WorkflowSettings settings)
    {
        if (!string.IsNullOrEmpty(approvals.LinkSigningKey))
        {
            return Convert.FromBase64String(approvals.LinkSigningKey);
        }

        string path = settings.Database + ".link-key";
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        return Convert.FromBase64String(File.ReadAllText(path));
    }
}
