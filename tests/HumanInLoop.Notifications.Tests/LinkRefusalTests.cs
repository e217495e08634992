using System.Buffers.Text;
using System.Net;
using System.Text.Json.Nodes;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Notifications.Tests;

/// <summary>Every way a link can be wrong is refused with its status, and nothing is decided or paid.</summary>
public sealed class LinkRefusalTests : IAsyncLifetime
{
    private WorkflowEnvironment _env = null!;
    private WebApplication _host = null!;
    private string _approvalId = null!;
    private Uri _approve = null!;
    private Uri _reject = null!;

    public async Task InitializeAsync()
    {
        _env = await WorkflowEnvironment.CreateAsync();
        _host = await _env.StartHostAsync();
        await _env.PostInvoiceAsync("INV-300", "Acme Corp", 5000m);
        _approvalId = (await _env.WaitForWorkflowAsync("wf-INV-300", "WaitingForApproval")).ApprovalId!;
        (_approve, _reject) = WorkflowEnvironment.Links(await _env.WaitForMailAsync("alice@example.com", _approvalId, "Approval needed"));
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        await _env.DisposeAsync();
    }

    public static TheoryData<string> BadLinks() => ["forged", "tampered-fingerprint", "tampered-approval", "tampered-mac", "other-decision", "truncated", "unknown-decision", "signed-respond", "signed-respond-as-approve"];

    [Theory]
    [MemberData(nameof(BadLinks))]
    public async Task BadLink_GetAndPost_RefusedAndNothingRuns(string kind)
    {
        Uri bad = kind switch
        {
            "forged" => new Uri(_approve, "./hil1." + Base64Url.EncodeToString("{\"v\":1}"u8) + "." + Base64Url.EncodeToString(new byte[32])),
            "tampered-fingerprint" => Tamper(_approve, claims => claims["f"] = new string('0', 64)),
            "tampered-approval" => Tamper(_approve, claims => claims["a"] = "apr_someoneelse"),
            "tampered-mac" => TamperMac(_approve),
            "other-decision" => new Uri(_reject.AbsoluteUri.Replace("/reject/", "/approve/", StringComparison.Ordinal)),
            "truncated" => new Uri(_approve.AbsoluteUri[..^5]),
            "unknown-decision" => new Uri(_approve.AbsoluteUri.Replace("/approve/", "/approve-all/", StringComparison.Ordinal)),
            // Signed with the real key: a link cannot carry a respond (it has no free text), whatever route it is sent to.
            "signed-respond" => new Uri(Resign(_approve, claims => claims["d"] = "respond").AbsoluteUri.Replace("/approve/", "/respond/", StringComparison.Ordinal)),
            "signed-respond-as-approve" => Resign(_approve, claims => claims["d"] = "respond"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        HttpStatusCode expected = kind is "unknown-decision" or "signed-respond" ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden;

        using Browser browser = new();
        (HttpStatusCode status, string page) = await browser.OpenAsync(bad);
        Assert.Equal(expected, status);
        Assert.DoesNotContain("<form", page, StringComparison.Ordinal);

        // A POST with a genuine antiforgery pair (from the real page) is refused just the same.
        (_, string realPage) = await browser.OpenAsync(_approve);
        (status, _) = await browser.SubmitAsync(bad, realPage, confirmOverride: "approve");
        Assert.Equal(expected, status);

        await AssertNothingDecidedAsync();
    }

    [Fact]
    public async Task ResignedLink_Unchanged_StillOpens_SoTheRespondForgeriesAreRefusedForWhatTheySay()
    {
        using Browser browser = new();
        (HttpStatusCode status, string page) = await browser.OpenAsync(Resign(_approve, _ => { }));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<form", page, StringComparison.Ordinal);
        await AssertNothingDecidedAsync();
    }

    [Fact]
    public async Task ExpiredLink_GetAndPost_Gone_ApprovalStillPending()
    {
        using Browser browser = new();
        (_, string page) = await browser.OpenAsync(_approve);

        _env.Time.Advance(TimeSpan.FromHours(13)); // link lifetime 12 h; the approval's deadline is 24 h
        (HttpStatusCode status, _) = await browser.OpenAsync(_approve);
        Assert.Equal(HttpStatusCode.Gone, status);
        (status, _) = await browser.SubmitAsync(_approve, page);
        Assert.Equal(HttpStatusCode.Gone, status);

        await AssertNothingDecidedAsync();
    }

    [Fact]
    public async Task Post_WithoutTheConfirmationPage_BadRequest()
    {
        using Browser browser = new();

        // A scanner that POSTs straight to the link (no antiforgery cookie or field).
        (HttpStatusCode status, _) = await browser.PostAsync(_approve, new Dictionary<string, string> { ["confirm"] = "approve" });
        Assert.Equal(HttpStatusCode.BadRequest, status);

        // The antiforgery field from another browser's page, without its cookie.
        using Browser other = new();
        (_, string page) = await other.OpenAsync(_approve);
        (status, _) = await browser.SubmitAsync(_approve, page);
        Assert.Equal(HttpStatusCode.BadRequest, status);

        // The right page, but without pressing the button.
        (_, page) = await browser.OpenAsync(_approve);
        (status, _) = await browser.SubmitAsync(_approve, page, confirmOverride: "");
        Assert.Equal(HttpStatusCode.BadRequest, status);

        await AssertNothingDecidedAsync();
    }

    [Fact]
    public async Task LinkSentToSomeoneWhoIsNotAnApprover_Forbidden()
    {
        (Uri approve, _) = WorkflowEnvironment.Links(await _env.WaitForMailAsync("mallory@example.com", _approvalId, "Approval needed"));
        using Browser browser = new();
        (HttpStatusCode status, string page) = await browser.OpenAsync(approve);
        Assert.Equal(HttpStatusCode.Forbidden, status);

        (_, page) = await browser.OpenAsync(_approve);
        (status, _) = await browser.SubmitAsync(approve, page);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        await AssertNothingDecidedAsync();
    }

    [Fact]
    public async Task ApproveAndRejectRacing_OneDecisionWins()
    {
        using Browser alice = new();
        (_, string approvePage) = await alice.OpenAsync(_approve);
        (_, string rejectPage) = await alice.OpenAsync(_reject);
        Task<(HttpStatusCode Status, string Html)>[] both = [alice.SubmitAsync(_approve, approvePage), alice.SubmitAsync(_reject, rejectPage)];
        HttpStatusCode[] statuses = [.. (await Task.WhenAll(both)).Select(r => r.Status)];
        Assert.Single(statuses, s => s == HttpStatusCode.OK);
        Assert.Single(statuses, s => s == HttpStatusCode.Conflict);

        PendingApproval approval = await _host.Services.GetRequiredService<ApprovalService>().GetAsync(_approvalId);
        Assert.Single(approval.AuditTrail, e => e.Event is ApprovalAuditEvent.Approved or ApprovalAuditEvent.Rejected);
        string final = approval.Calls[0].Decision == CallDecisionStatus.Approved ? "Paid" : "NotPaid";
        await _env.WaitForWorkflowAsync("wf-INV-300", final);
        Assert.Equal(final == "Paid" ? 1 : 0, (await _env.PaymentsAsync()).Count);
    }

    private async Task AssertNothingDecidedAsync()
    {
        PendingApproval approval = await _host.Services.GetRequiredService<ApprovalService>().GetAsync(_approvalId);
        Assert.Equal(ApprovalStatus.Pending, approval.Status);
        Assert.Equal(CallDecisionStatus.AwaitingApproval, approval.Calls[0].Decision);
        Assert.Empty(await _env.PaymentsAsync());
        Assert.Equal("WaitingForApproval", (await _env.GetWorkflowAsync("wf-INV-300"))!.Status);
    }

    /// <summary>Changes a signed claim and keeps the old signature.</summary>
    private static Uri Tamper(Uri link, Action<JsonObject> change)
    {
        string token = link.Segments[^1];
        string[] parts = token.Split('.');
        JsonObject claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        change(claims);
        string payload = Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return new Uri(link, $"./{parts[0]}.{payload}.{parts[2]}");
    }

    /// <summary>Changes the claims and signs them again with the host's real link key: a forgery by someone who holds the key's output format.</summary>
    private static Uri Resign(Uri link, Action<JsonObject> change)
    {
        string token = link.Segments[^1];
        string[] parts = token.Split('.');
        JsonObject claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        change(claims);
        string body = parts[0] + "." + Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString()));
        string mac = Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(WorkflowEnvironment.LinkKey, System.Text.Encoding.ASCII.GetBytes(body)));
        return new Uri(link, $"./{body}.{mac}");
    }

    private static Uri TamperMac(Uri link)
    {
        string token = link.Segments[^1];
        char last = token[^2];
        return new Uri(link, "./" + token[..^2] + (last == 'A' ? 'B' : 'A') + token[^1]);
    }
}
