using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using HumanInLoop.Notifications.Internal;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Notifications.Tests;

/// <summary>
/// Tenant isolation and no existence oracle (issue 17) in the e-mail link and Slack flows: an approver of another tenant (a
/// notification routed wrongly) is answered exactly as for an approval that does not exist, and nothing is decided or shown.
/// </summary>
public sealed class TenantLinkAndSlackTests : IAsyncLifetime
{
    private const string OtherTenant = "tenant-elsewhere";
    private WorkflowEnvironment _env = null!;
    private WebApplication _host = null!;
    private string _approvalId = null!;
    private Uri _approve = null!;
    private JsonObject _message = null!;

    public async Task InitializeAsync()
    {
        _env = await WorkflowEnvironment.CreateAsync();

        // The sample's approvers, each made an approver of another tenant than the workflow's approvals (which have none).
        _host = await _env.StartHostAsync(services =>
        {
            ServiceDescriptor original = services.Last(s => s.ServiceType == typeof(IApproverDirectory));
            services.AddSingleton<IApproverDirectory>(provider => new OtherTenantDirectory(
                (IApproverDirectory)(original.ImplementationInstance ?? original.ImplementationFactory?.Invoke(provider)
                    ?? ActivatorUtilities.CreateInstance(provider, original.ImplementationType!))));
        });
        await _env.PostInvoiceAsync("INV-700", "Acme Corp", 5000m);
        _approvalId = (await _env.WaitForWorkflowAsync("wf-INV-700", "WaitingForApproval")).ApprovalId!;
        (_approve, _) = WorkflowEnvironment.Links(await _env.WaitForMailAsync("alice@example.com", _approvalId, "Approval needed"));
        await Eventually.TrueAsync(() => _env.Slack.Messages.Any(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal)), "Slack request");
        _message = _env.Slack.Messages.First(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        await _env.DisposeAsync();
    }

    private ApprovalService Approvals => _host.Services.GetRequiredService<ApprovalService>();

    [Fact]
    public async Task Link_OpenedByAnApproverOfAnotherTenant_AnswersLikeAnApprovalThatDoesNotExist_AndShowsNothing()
    {
        const string unknownId = "apr_AAAAAAAAAAAAAAAAAAAAAA";
        using Browser browser = new();
        (HttpStatusCode otherStatus, string otherPage) = await browser.OpenAsync(_approve);
        (HttpStatusCode unknownStatus, string unknownPage) = await browser.OpenAsync(Resign(_approve, claims => claims["a"] = unknownId));

        Assert.Equal(HttpStatusCode.NotFound, otherStatus);
        Assert.Equal(unknownStatus, otherStatus);
        Assert.Equal(unknownPage.Replace(unknownId, "{id}", StringComparison.Ordinal), otherPage.Replace(_approvalId, "{id}", StringComparison.Ordinal));
        Assert.DoesNotContain("Acme", otherPage, StringComparison.Ordinal);
        Assert.DoesNotContain("<form", otherPage, StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Pending, (await Approvals.GetAsync(_approvalId)).Status);
    }

    [Fact]
    public async Task SlackClick_ByAnApproverOfAnotherTenant_AnswersLikeAnApprovalThatDoesNotExist_AndDecidesNothing()
    {
        using HttpResponseMessage other = await SendAsync(Body("U0ALICE", approvalId: null));
        using HttpResponseMessage unknown = await SendAsync(Body("U0ALICE", approvalId: "apr_AAAAAAAAAAAAAAAAAAAAAA"));

        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(unknown.StatusCode, other.StatusCode);
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await other.Content.ReadAsStringAsync());
        Assert.Equal(ApprovalStatus.Pending, (await Approvals.GetAsync(_approvalId)).Status);
        Assert.Empty(await _env.PaymentsAsync());
    }

    [Fact]
    public void LinkNonces_Carry128RandomBits_FromACryptographicGenerator()
    {
        const int count = 20_000;
        HashSet<string> nonces = new(StringComparer.Ordinal);
        int[] ones = new int[128];
        for (int i = 0; i < count; i++)
        {
            string nonce = LinkToken.NewNonce();
            Assert.True(nonces.Add(nonce));
            byte[] bits = Base64Url.DecodeFromChars(nonce);
            Assert.Equal(16, bits.Length);
            for (int b = 0; b < 128; b++)
            {
                ones[b] += (bits[b / 8] >> (b % 8)) & 1;
            }
        }

        // Every bit a coin flip: a GUID's version bits, a clock or a counter would sit far outside (10 sigma).
        Assert.All(ones, n => Assert.InRange(n, count * 45 / 100, count * 55 / 100));
    }

    private string Body(string userId, string? approvalId)
    {
        JsonArray blocks = _message["blocks"]!.AsArray();
        JsonObject button = blocks.Single(b => b!["type"]!.GetValue<string>() == "actions")!["elements"]![0]!.AsObject();
        JsonObject value = JsonNode.Parse(button["value"]!.GetValue<string>())!.AsObject();
        if (approvalId is not null)
        {
            value["a"] = approvalId;
        }

        JsonObject payload = new()
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = userId, ["username"] = userId.ToLowerInvariant() },
            ["team"] = new JsonObject { ["id"] = "T0TEAM" },
            ["actions"] = new JsonArray { new JsonObject { ["type"] = "button", ["action_id"] = "hil_approve", ["block_id"] = "hil_call_0", ["value"] = value.ToJsonString() } },
            ["response_url"] = "https://hooks.slack.invalid/actions/T0TEAM/1/x",
        };
        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }

    private async Task<HttpResponseMessage> SendAsync(string body)
    {
        string timestamp = _env.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using HttpClient client = _env.Client();
        using HttpRequestMessage request = new(HttpMethod.Post, "/approvals/slack/interactions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add(SlackRequestSignature.TimestampHeader, timestamp);
        request.Headers.Add(SlackRequestSignature.SignatureHeader, SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body)));
        return await client.SendAsync(request);
    }

    private static Uri Resign(Uri link, Action<JsonObject> change)
    {
        string[] parts = link.Segments[^1].Split('.');
        JsonObject claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        change(claims);
        string body = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        string mac = Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(WorkflowEnvironment.LinkKey, Encoding.ASCII.GetBytes(body)));
        return new Uri(link, $"./{body}.{mac}");
    }

    private sealed class OtherTenantDirectory(IApproverDirectory inner) : IApproverDirectory
    {
        public async ValueTask<Approver?> FindAsync(string kind, string externalId, CancellationToken cancellationToken = default) =>
            await inner.FindAsync(kind, externalId, cancellationToken) is { } approver ? approver with { TenantId = OtherTenant } : null;
    }
}
