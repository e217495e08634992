using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using HumanInLoop.Notifications.Internal;
using HumanInLoop.Notifications.Tests.Infrastructure;
using HumanInLoop.Testing.Fuzzing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HumanInLoop.Notifications.Tests;

/// <summary>
/// A seeded fuzz of the two signed doors of the sample host. The e-mail links: tokens cut short, changed, lengthened, re-encoded,
/// re-signed with another key, moved to the other action; hostile bodies posted to the real link; the real link after it expired.
/// The Slack callback: a click that would approve, with bad or missing signatures, old, future and malformed timestamps, a body
/// changed after signing; correctly signed hostile payloads; a replay after use and after five minutes. Every input is refused
/// with a 4xx (a replay of the same click is answered as the one decision it is), within a per-request deadline; nothing is
/// decided or paid that a person did not decide, and the real link still works after the hostile inputs. Counts are printed.
/// </summary>
public sealed class SignedDoorFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Workflow = "wf-INV-700";
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(60);
    private WorkflowEnvironment _env = null!;
    private WebApplication _host = null!;
    private string _approvalId = null!;
    private Uri _approve = null!;
    private Uri _reject = null!;

    public async Task InitializeAsync()
    {
        _env = await WorkflowEnvironment.CreateAsync();
        _host = await _env.StartHostAsync();
        using HttpResponseMessage accepted = await _env.PostInvoiceAsync("INV-700", "Acme Corp", 7000m);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        _approvalId = (await _env.WaitForWorkflowAsync(Workflow, "WaitingForApproval")).ApprovalId!;
        (_approve, _reject) = WorkflowEnvironment.Links(await _env.WaitForMailAsync("alice@example.com", _approvalId, "Approval needed"));
        await Eventually.TrueAsync(() => _env.Slack.Messages.Any(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal)), "Slack request");
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        await _env.DisposeAsync();
    }

    private ApprovalService Approvals => _host.Services.GetRequiredService<ApprovalService>();

    [Fact]
    public async Task Links_FuzzedTokensAndBodies_RefusedWith4xx_NothingDecided_TheRealLinkStillWorks_UntilItExpires()
    {
        int seed = FuzzBudget.Seed, count = FuzzBudget.Iterations(200);
        FuzzTally tally = new("e-mail links", seed);
        PendingApproval approval = await Approvals.GetAsync(_approvalId);
        ApprovalLinks otherKey = new ApprovalLinkIssuer(
            new ApprovalLinkOptions { BaseUri = new Uri(_env.BaseUri, "approvals/links"), SigningKey = Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray() }, _env.Time)
            .CreateLinks(approval, approval.Calls[0], "email", "alice@example.com");
        using Browser browser = new();
        (HttpStatusCode opened, string realPage) = await browser.OpenAsync(_approve);
        Assert.Equal(HttpStatusCode.OK, opened);
        for (int i = 0; i < count; i++)
        {
            Random random = FuzzBudget.For(seed, i);
            if (random.Next(5) == 0)
            {
                // A hostile body posted to the real link: refused, and the link is not used up by it.
                (string contentType, byte[] body) = HostileFormBody(random, realPage);
                await CountAsync(tally, i, contentType, PostRawAsync(browser, _approve, contentType, body), expectRefusal: true);
                continue;
            }

            Uri link = MutatedLink(random, otherKey);
            await CountAsync(tally, i, "GET " + link.PathAndQuery, OpenStatusAsync(browser, link), expectRefusal: true);
            if (random.Next(2) == 0)
            {
                await CountAsync(tally, i, "POST " + link.PathAndQuery, SubmitStatusAsync(browser, link, realPage), expectRefusal: true);
            }
        }

        Report(tally);
        Assert.Empty(tally.Failures);
        await AssertNothingDecidedAsync();

        // The real link still opens; after its lifetime (12 hours here, the approval waits a day) it is refused, and nothing is decided.
        Assert.Equal(HttpStatusCode.OK, (await browser.OpenAsync(_approve)).Status);
        _env.Time.Advance(TimeSpan.FromHours(13));
        (HttpStatusCode expiredGet, string expiredPage) = await browser.OpenAsync(_approve);
        (HttpStatusCode expiredPost, _) = await browser.SubmitAsync(_approve, realPage);
        Assert.True(expiredGet is HttpStatusCode.Gone or HttpStatusCode.Forbidden, $"GET after expiry: {(int)expiredGet}");
        Assert.True(expiredPost is HttpStatusCode.Gone or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, $"POST after expiry: {(int)expiredPost}");
        Assert.DoesNotContain("<form", expiredPage, StringComparison.Ordinal);
        await AssertNothingDecidedAsync();
    }

    [Fact]
    public async Task Slack_FuzzedSignaturesTimestampsAndPayloads_RefusedWith4xx_NothingDecided_ReplaysAreOneDecision()
    {
        int seed = FuzzBudget.Seed, count = FuzzBudget.Iterations(300);
        FuzzTally tally = new("Slack interactions", seed);
        string approveClick = SlackBody("U0ALICE", "hil_approve");
        for (int i = 0; i < count; i++)
        {
            Random random = FuzzBudget.For(seed, i);
            long now = _env.Time.GetUtcNow().ToUnixTimeSeconds();
            string body = approveClick, timestamp = now.ToString(CultureInfo.InvariantCulture);
            string signature = SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body));
            string kind;
            switch (random.Next(6))
            {
                case 0:
                    kind = "signature";
                    signature = MutateSignature(random, signature, timestamp, body);
                    break;
                case 1:
                    kind = "timestamp";
                    timestamp = random.Next(7) switch
                    {
                        0 => (now - 301 - random.Next(1_000_000)).ToString(CultureInfo.InvariantCulture),
                        1 => (now + 301 + random.Next(1_000_000)).ToString(CultureInfo.InvariantCulture),
                        2 => JsonMutator.HostileNumbers[random.Next(JsonMutator.HostileNumbers.Length)],
                        3 => "",
                        4 => "-" + now.ToString(CultureInfo.InvariantCulture),
                        5 => now.ToString("X", CultureInfo.InvariantCulture),
                        _ => now.ToString(CultureInfo.InvariantCulture) + (char)random.Next(0x20, 0x7F),
                    };
                    signature = SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body));
                    break;
                case 2:
                    kind = "body changed after signing";
                    body = JsonMutator.Mutate(body, random);
                    body = body == approveClick ? body + "&" : body; // the mutator can hand back its input: then it is still a change
                    break;
                default:
                    // Signed correctly: the payload parser and the decision behind it meet hostile input from someone with the secret.
                    kind = "signed hostile payload";
                    body = HostileSlackPayload(random);
                    signature = SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body));
                    break;
            }

            await CountAsync(tally, i, kind, SlackStatusAsync(body, timestamp, signature, omitHeaders: random.Next(20) == 0), expectRefusal: true, shown: body);
        }

        Report(tally);
        Assert.Empty(tally.Failures);
        await AssertNothingDecidedAsync();

        // A real reject click decides; the same click again is that one decision; replayed after five minutes it is stale; the
        // e-mail approve link can no longer change it. Nothing is paid.
        string rejectClick = SlackBody("U0ALICE", "hil_reject");
        string at = _env.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string signed = SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, at, Encoding.UTF8.GetBytes(rejectClick));
        Assert.Equal(200, await SlackStatusAsync(rejectClick, at, signed));
        Assert.Equal(200, await SlackStatusAsync(rejectClick, at, signed));
        _env.Time.Advance(TimeSpan.FromSeconds(301));
        Assert.Equal(401, await SlackStatusAsync(rejectClick, at, signed));
        using Browser browser = new();
        Assert.Equal(HttpStatusCode.Conflict, (await browser.OpenAsync(_approve)).Status);
        await _env.WaitForWorkflowAsync(Workflow, "NotPaid");
        PendingApproval decided = await Approvals.GetAsync(_approvalId);
        Assert.Single(decided.AuditTrail, e => e.Event is ApprovalAuditEvent.Approved or ApprovalAuditEvent.Rejected);
        Assert.Equal(CallDecisionStatus.Rejected, decided.Calls[0].Decision);
        Assert.Empty(await _env.PaymentsAsync());
    }

    /// <summary>Found by the fuzz (a 500): a correctly signed payload whose strings hold an escaped lone surrogate.</summary>
    [Theory]
    [InlineData("action_id")]
    [InlineData("value")]
    [InlineData("user")]
    public async Task Slack_SignedPayloadWithALoneSurrogate_Returns400AndDecidesNothing(string where)
    {
        string click = Uri.UnescapeDataString(SlackBody("U0ALICE", "hil_approve")["payload=".Length..]);
        string payload = where switch
        {
            "action_id" => click.Replace("\"hil_approve\"", "\"hil_\\ud800approve\"", StringComparison.Ordinal),
            "value" => click.Replace("apr_", "apr_\\ud800", StringComparison.Ordinal),
            _ => click.Replace("\"U0ALICE\"", "\"U0\\udc00ALICE\"", StringComparison.Ordinal),
        };
        Assert.NotEqual(click, payload);
        string body = "payload=" + Uri.EscapeDataString(payload);
        string timestamp = _env.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        int status = await SlackStatusAsync(body, timestamp, SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body)));

        Assert.Equal(400, status);
        await AssertNothingDecidedAsync();
    }

    private Uri MutatedLink(Random random, ApprovalLinks otherKey)
    {
        Uri real = random.Next(2) == 0 ? _approve : _reject;
        string token = real.Segments[^1];
        string prefix = real.GetLeftPart(UriPartial.Path)[..^token.Length];
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
        string mutated = random.Next(9) switch
        {
            0 => token[..random.Next(token.Length)],
            1 => token.Remove(random.Next(token.Length), 1).Insert(random.Next(token.Length - 1), Alphabet[random.Next(Alphabet.Length)].ToString()),
            2 => ReplaceAt(token, random.Next(token.Length), Alphabet[random.Next(Alphabet.Length)]),
            3 => token + new string(Alphabet[random.Next(Alphabet.Length)], 1 + random.Next(random.Next(2) == 0 ? 8 : 5000)),
            4 => (real == _approve ? otherKey.ApproveUri : otherKey.RejectUri).Segments[^1],
            5 => (real == _approve ? _reject : _approve).Segments[^1], // the other action's token on this action
            6 => Uri.EscapeDataString(token.ToUpperInvariant()),
            7 => string.Concat(token.Select(c => random.Next(10) == 0 ? $"%{(int)c:X2}" : c.ToString())) + "%00",
            _ => ReplaceAt(token, random.Next(token.Length), (char)random.Next(0x80, 0x3000)),
        };
        string path = random.Next(10) == 0 ? prefix.Replace("/approve/", "/reject/", StringComparison.Ordinal) : prefix;
        Uri link = new(path + (mutated.Length == 0 ? "x" : mutated), UriKind.Absolute);

        // A mutation can land back on a real link (a character removed and put back, the tokens swapped twice): then it is no attack.
        return link == _approve || link == _reject ? new Uri(link + "x") : link;
    }

    /// <summary>A body that is not a confirmation, most with the page's real anti-forgery token (so the form reader behind it is reached).</summary>
    private static (string ContentType, byte[] Body) HostileFormBody(Random random, string realPage)
    {
        System.Text.RegularExpressions.Match hidden = System.Text.RegularExpressions.Regex.Match(realPage, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">");
        string field = WebUtility.HtmlDecode(hidden.Groups[1].Value), token = WebUtility.HtmlDecode(hidden.Groups[2].Value);
        string tokenField = random.Next(6) == 0 ? "" : $"{Uri.EscapeDataString(field)}={Uri.EscapeDataString(token)}&";
        string multipartToken = $"--b\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{token}\r\n";
        (string type, string text) = random.Next(7) switch
        {
            0 => ("application/x-www-form-urlencoded", tokenField + "confirm=approve&confirm=approve&reason=" + new string('r', random.Next(200_000))),
            1 => ("multipart/form-data; boundary=b", multipartToken + "--b\r\nContent-Disposition: form-data; name=\"confirm\"\r\n\r\nappr"),
            2 => ("application/x-www-form-urlencoded; charset=bogus", tokenField + "confirm=reject"),
            3 => ("application/x-www-form-urlencoded", tokenField + "confirm=" + (random.Next(2) == 0 ? "APPROVE" : "reject") + "&reason=%ZZ%"),
            4 => ("multipart/form-data", tokenField + "confirm=approve"),
            5 => ("application/json", JsonMutator.NestText(1 + random.Next(10_000), random.Next(2) == 0)),
            _ => ("text/plain", string.Concat(Enumerable.Range(0, random.Next(400)).Select(_ => (char)random.Next(0x20, 0x7F)))),
        };
        return (type, Encoding.UTF8.GetBytes(text));
    }

    private string HostileSlackPayload(Random random)
    {
        string user = random.Next(2) == 0 ? "U0MALLORY" : "U0BOB";
        string click = Uri.UnescapeDataString(SlackBody(user, random.Next(2) == 0 ? "hil_approve" : "hil_reject")["payload=".Length..]);
        JsonObject payload = JsonNode.Parse(click)!.AsObject();
        string value = payload["actions"]![0]!["value"]!.GetValue<string>();
        switch (random.Next(4))
        {
            case 0:
                payload["actions"]![0]!["value"] = JsonMutator.Mutate(value, random);
                break;
            case 1:
                return "payload=" + Uri.EscapeDataString(JsonMutator.Mutate(click, random));
            case 2:
                return random.Next(2) == 0 ? "payload=" + Uri.EscapeDataString(JsonMutator.NestText(20 + random.Next(5000), true)) : JsonMutator.Mutate(click, random);
            default:
                JsonObject fields = JsonNode.Parse(value)!.AsObject();
                string[] names = [.. fields.Select(f => f.Key)];
                fields[names[random.Next(names.Length)]] = JsonMutator.HostileValue(random);
                payload["actions"]![0]!["value"] = fields.ToJsonString();
                break;
        }

        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }

    private static string MutateSignature(Random random, string signature, string timestamp, string body) => random.Next(8) switch
    {
        0 => ReplaceAt(signature, 3 + random.Next(signature.Length - 3), "0123456789abcdef"[random.Next(16)]),
        1 => signature[..random.Next(signature.Length)],
        2 => SlackRequestSignature.Compute("another-secret-" + random.Next(), timestamp, Encoding.UTF8.GetBytes(body)),
        3 => "v1=" + signature[3..],
        4 => signature.ToUpperInvariant(),
        5 => signature.Insert(3 + random.Next(signature.Length - 3), " "), // (trailing white space is not a change: HTTP trims it)
        6 => "",
        _ => SlackRequestSignature.Compute(WorkflowEnvironment.SlackSecret, timestamp, Encoding.UTF8.GetBytes(body + "&x=1")),
    };

    private static string ReplaceAt(string text, int at, char with)
    {
        char[] chars = text.ToCharArray();
        chars[at] = chars[at] == with ? (char)(with ^ 1) : with;
        return new string(chars);
    }

    private async Task<int> SlackStatusAsync(string body, string timestamp, string signature, bool omitHeaders = false)
    {
        using HttpClient client = _env.Client();
        using HttpRequestMessage request = new(HttpMethod.Post, "/approvals/slack/interactions") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        if (!omitHeaders)
        {
            request.Headers.TryAddWithoutValidation(SlackRequestSignature.TimestampHeader, timestamp);
            request.Headers.TryAddWithoutValidation(SlackRequestSignature.SignatureHeader, signature);
        }

        using CancellationTokenSource deadline = new(RequestDeadline);
        using HttpResponseMessage response = await client.SendAsync(request, deadline.Token);
        return (int)response.StatusCode;
    }

    private static async Task<int> OpenStatusAsync(Browser browser, Uri link) => (int)(await browser.OpenAsync(link).WaitAsync(RequestDeadline)).Status;

    private static async Task<int> SubmitStatusAsync(Browser browser, Uri link, string page) => (int)(await browser.SubmitAsync(link, page).WaitAsync(RequestDeadline)).Status;

    private static async Task<int> PostRawAsync(Browser browser, Uri link, string contentType, byte[] body)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, link) { Content = new ByteArrayContent(body) };
        if (contentType.Length > 0)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using CancellationTokenSource deadline = new(RequestDeadline);
        return (int)await browser.SendAsync(request, deadline.Token);
    }

    /// <summary>Counts one answer; a 5xx, an unexpected 2xx or 3xx, an exception or no answer by the deadline is a failure.</summary>
    private static async Task CountAsync(FuzzTally tally, int index, string kind, Task<int> send, bool expectRefusal, string? shown = null)
    {
        try
        {
            int status = await send;
            tally.Count($"{status}");
            if (status >= 500 || (expectRefusal && status < 400))
            {
                tally.Fail(index, $"{kind} -> {status}", shown ?? kind);
            }
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            tally.Count("hang");
            tally.Fail(index, $"{kind} -> no answer within {RequestDeadline}", shown ?? kind);
        }
    }

    private string SlackBody(string userId, string actionId)
    {
        JsonObject message = _env.Slack.Messages.First(m => m.ToJsonString().Contains(_approvalId, StringComparison.Ordinal));
        JsonObject button = message["blocks"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "actions")!["elements"]![actionId == "hil_reject" ? 1 : 0]!.AsObject();
        JsonObject payload = new()
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = userId },
            ["actions"] = new JsonArray { new JsonObject { ["type"] = "button", ["action_id"] = actionId, ["value"] = button["value"]!.GetValue<string>() } },
        };
        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }

    private async Task AssertNothingDecidedAsync()
    {
        PendingApproval approval = await Approvals.GetAsync(_approvalId);
        Assert.Equal(ApprovalStatus.Pending, approval.Status);
        Assert.Equal(CallDecisionStatus.AwaitingApproval, approval.Calls[0].Decision);
        Assert.DoesNotContain(approval.AuditTrail, e => e.Event is ApprovalAuditEvent.Approved or ApprovalAuditEvent.Rejected);
        Assert.Empty(await _env.PaymentsAsync());
        Assert.Equal("WaitingForApproval", (await _env.GetWorkflowAsync(Workflow))!.Status);
    }

    private void Report(FuzzTally tally)
    {
        output.WriteLine(tally.ToString());
        Console.WriteLine(tally.ToString());
    }
}
