using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using HumanInLoop.Testing.Fuzzing;
using Xunit.Abstractions;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>
/// A seeded fuzz of the bodies of the decision (approve, reject, respond, with a grant), revoke and resume endpoints on a real
/// host: malformed and mutated JSON, huge bodies, wrong content types, deep nesting, numbers past <see cref="decimal"/>, wrong
/// types, broken forms. Every input is answered with a status below 500 within a per-request deadline (no hang); a refused
/// input leaves the approval pending as it was; nothing runs. The counts are printed. The long form: HIL_FUZZ_ITERATIONS.
/// </summary>
public sealed class EndpointFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(60);

    private static readonly string[] ContentTypes =
    [
        "", "text/plain", "application/xml", "application/json; charset=utf-16", "application/json; charset=bogus", "application/merge-patch+json",
        "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=", "application/jsonx", "*/*", "application/json; charset=utf-8; q",
        "text/json", "application/problem+json",
    ];

    [Fact]
    public async Task DecideBodies_Fuzzed_AreAnsweredBelow500WithoutHangingAndNothingRunsOrIsLost()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        string token = await alice.TokenAsync();
        int seed = FuzzBudget.Seed, count = FuzzBudget.Iterations(400), paused = 0;
        FuzzTally tally = new("decide", seed);
        PendingApproval approval = await host.PauseAsync(conversationId: "fuzz-0");
        for (int i = 0; i < count; i++)
        {
            Random random = FuzzBudget.For(seed, i);
            (string contentType, byte[] body, string shown) = DecisionInput(random, approval.Calls[0].Fingerprint);
            int status = await SendAsync(alice, $"/approvals/{approval.Id}/calls/c-tr/decision", contentType, body, random.Next(8) == 0 ? null : token, tally, i, shown);
            if (status is >= 200 and < 300)
            {
                // A mutant that is still a valid decision was recorded as one: start again on a fresh approval.
                Assert.NotEqual(CallDecisionStatus.AwaitingApproval, (await host.Approvals.GetAsync(approval.Id)).Calls[0].Decision);
                approval = await host.PauseAsync(conversationId: $"fuzz-{++paused}");
            }
            else if (!await IsUntouchedAsync(host, approval))
            {
                tally.Fail(i, $"refused with {status} but the approval changed", shown);
            }
        }

        Report(tally);
        Assert.Empty(host.Transfers);
        Assert.Empty(tally.Failures);
    }

    [Fact]
    public async Task RevokeAndResumeBodies_Fuzzed_AreAnsweredBelow500AndNothingRunsOrIsLost()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        string token = await alice.TokenAsync();
        PendingApproval approval = await host.PauseAsync();
        int seed = FuzzBudget.Seed, count = FuzzBudget.Iterations(150);
        FuzzTally revoke = new("revoke", seed), resume = new("resume", seed);
        for (int i = 0; i < count; i++)
        {
            Random random = FuzzBudget.For(seed, i);
            string reason = new JsonObject { ["reason"] = "no longer needed" }.ToJsonString();
            string text = random.Next(4) == 0 ? JsonMutator.NestText(1 + random.Next(5000), random.Next(2) == 0) : JsonMutator.Mutate(reason, random);
            string contentType = random.Next(4) == 0 ? ContentTypes[random.Next(ContentTypes.Length)] : "application/json";
            byte[] body = Encoding.UTF8.GetBytes(text);
            await SendAsync(alice, $"/approvals/grants/{Guid.NewGuid():N}/revoke", contentType, body, token, revoke, i, text);
            await SendAsync(alice, $"/approvals/{approval.Id}/resume", contentType, body, token, resume, i, text);
            if (!await IsUntouchedAsync(host, approval))
            {
                resume.Fail(i, "the approval changed", text);
            }
        }

        Report(revoke);
        Report(resume);
        Assert.Empty(host.Transfers);
        Assert.Empty(revoke.Failures);
        Assert.Empty(resume.Failures);
    }

    [Fact]
    public async Task ReadQueriesAndIds_Fuzzed_AreAnsweredBelow500()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        PendingApproval approval = await host.PauseAsync();
        using HttpResponseMessage first = await alice.Http.GetAsync("/approvals?pageSize=1&status=all");
        string token = System.Text.Json.JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("continuationToken").GetString() ?? "";
        int seed = FuzzBudget.Seed, count = FuzzBudget.Iterations(300);
        FuzzTally tally = new("read queries and ids", seed);
        string[] values = ["", "0", "-1", "2147483648", "1e3", "all", "pending,decided", "Pending", "null", "%00", "%C0%AF", "%F0%9F%98%80", "true", "TRUE", "1", "x%27%20OR%201=1", new string('9', 400)];
        for (int i = 0; i < count; i++)
        {
            Random random = FuzzBudget.For(seed, i);
            string Hostile() => random.Next(3) switch
            {
                0 => values[random.Next(values.Length)],
                1 => Uri.EscapeDataString(JsonMutator.Mutate(token.Length > 0 ? token : "e30", random)),
                _ => Uri.EscapeDataString(string.Concat(Enumerable.Range(0, random.Next(64)).Select(_ => (char)random.Next(1, 0x3000)))),
            };
            string path = random.Next(4) switch
            {
                0 => $"/approvals?status={Hostile()}&pageSize={Hostile()}&continuationToken={Hostile()}&conversationId={Hostile()}",
                1 => $"/approvals/{(random.Next(2) == 0 ? Hostile() : approval.Id + Hostile())}",
                2 => $"/approvals/grants?tool={Hostile()}&active={Hostile()}&pageSize={Hostile()}&continuationToken={Hostile()}",
                _ => $"/approvals/grants/{Hostile()}",
            };
            using HttpRequestMessage request = new(HttpMethod.Get, path);
            using CancellationTokenSource deadline = new(RequestDeadline);
            try
            {
                using HttpResponseMessage response = await alice.Http.SendAsync(request, deadline.Token);
                tally.Count(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                if ((int)response.StatusCode >= 500)
                {
                    tally.Fail(i, $"GET -> {(int)response.StatusCode}", path);
                }
            }
            catch (InvalidOperationException exception) when (exception.Message.Contains("null characters", StringComparison.Ordinal))
            {
                // %00 in the path: the test server's client refuses to send it; Kestrel answers 400 before the application.
                tally.Count("not sent (NUL in the path)");
            }
            catch (Exception exception) when (exception is not OperationCanceledException || deadline.IsCancellationRequested)
            {
                tally.Count("500 " + exception.GetType().Name);
                tally.Fail(i, $"GET -> {exception.GetType().Name}: {exception.Message}", path);
            }
        }

        Report(tally);
        Assert.Empty(tally.Failures);
        Assert.True(await IsUntouchedAsync(host, approval));
    }

    /// <summary>One hostile decision: mostly a mutant of a valid body, else a wrong content type, a broken form, a huge or deep body.</summary>
    private static (string ContentType, byte[] Body, string Shown) DecisionInput(Random random, string fingerprint)
    {
        string[] templates =
        [
            $$$"""{"decision":"approve","fingerprint":"{{{fingerprint}}}"}""",
            $$$"""{"decision":"approve","fingerprint":"{{{fingerprint}}}","reason":"checked","arguments":{"to":"bob","amount":150}}""",
            $$$"""{"decision":"approve","fingerprint":"{{{fingerprint}}}","grant":{"scope":"conversation","duration":"PT8H","argumentBounds":[{"name":"amount","atMost":200},{"name":"to","equal":"bob"}]}}""",
            $$$"""{"decision":"reject","fingerprint":"{{{fingerprint}}}","reason":"not this one"}""",
            $$$"""{"decision":"respond","fingerprint":"{{{fingerprint}}}","result":{"status":"sent","amount":150}}""",
        ];
        string template = templates[random.Next(templates.Length)];
        switch (random.Next(10))
        {
            case < 5:
                string mutant = JsonMutator.Mutate(template, random, templates[random.Next(templates.Length)]);
                return ("application/json", Encoding.UTF8.GetBytes(mutant), mutant);
            case 5:
                string typed = random.Next(2) == 0 ? template : JsonMutator.Mutate(template, random);
                return (ContentTypes[random.Next(ContentTypes.Length)], Encoding.UTF8.GetBytes(typed), typed);
            case 6:
                return FormInput(random, template);
            case 7:
                string number = JsonMutator.HostileNumbers[random.Next(JsonMutator.HostileNumbers.Length)];
                string overflow = template.Replace("150", number, StringComparison.Ordinal).Replace("200", number, StringComparison.Ordinal);
                return ("application/json", Encoding.UTF8.GetBytes(overflow), overflow);
            default:
                string special = random.Next(5) switch
                {
                    0 => "",
                    1 => JsonMutator.NestText(1 + random.Next(100_000), random.Next(2) == 0),
                    2 => template.Replace("\"decision\"", $"\"arguments\":{JsonMutator.NestText(70 + random.Next(2000), true)},\"decision\"", StringComparison.Ordinal),
                    3 => template.Replace("\"decision\"", $"\"reason\":\"{new string('r', 1 + random.Next(4_000_000))}\",\"decision\"", StringComparison.Ordinal),
                    _ => new string(' ', random.Next(3_000_000)) + template,
                };
                return ("application/json", Encoding.UTF8.GetBytes(special), special);
        }
    }

    /// <summary>The template's fields as a form (urlencoded or multipart), one of them hostile.</summary>
    private static (string ContentType, byte[] Body, string Shown) FormInput(Random random, string template)
    {
        JsonObject fields = JsonNode.Parse(template)!.AsObject();
        List<KeyValuePair<string, string>> form = [.. fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value is JsonValue v && v.TryGetValue(out string? s) ? s : f.Value!.ToJsonString()))];
        string[] names = ["arguments", "grant", "result", "decision", "fingerprint", "reason"];
        string name = names[random.Next(names.Length)];
        string value = random.Next(3) switch
        {
            0 => JsonMutator.NestText(1 + random.Next(5000), random.Next(2) == 0),
            1 => JsonMutator.Mutate(fields[name]?.ToJsonString() ?? "{\"amount\":150}", random),
            _ => $$"""{"scope":"user","duration":"P{{JsonMutator.HostileNumbers[random.Next(JsonMutator.HostileNumbers.Length)]}}D","argumentBounds":[{"name":"amount","atMost":{{JsonMutator.HostileNumbers[random.Next(JsonMutator.HostileNumbers.Length)]}}}]}""",
        };
        form.Add(new(name, value));
        if (random.Next(2) == 0)
        {
            using FormUrlEncodedContent urlEncoded = new(form);
            byte[] bytes = urlEncoded.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            return ("application/x-www-form-urlencoded", bytes, Encoding.UTF8.GetString(bytes));
        }

        using MultipartFormDataContent multipart = new("fuzz-boundary");
        foreach ((string key, string text) in form)
        {
            multipart.Add(new StringContent(text), key);
        }

        byte[] multipartBytes = multipart.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        if (random.Next(3) == 0)
        {
            multipartBytes = multipartBytes[..random.Next(multipartBytes.Length)];
        }

        return ("multipart/form-data; boundary=fuzz-boundary", multipartBytes, Encoding.UTF8.GetString(multipartBytes));
    }

    /// <summary>Sends one input; a status of 500 or more, an exception out of the host, or no answer by the deadline is a failure.</summary>
    private static async Task<int> SendAsync(TestUser user, string path, string contentType, byte[] body, string? token, FuzzTally tally, int index, string shown)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        if (contentType.Length > 0)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (token is not null)
        {
            request.Headers.Add(user.HeaderName, token);
        }

        using CancellationTokenSource deadline = new(RequestDeadline);
        try
        {
            using HttpResponseMessage response = await user.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            int status = (int)response.StatusCode;
            tally.Count(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (status >= 500 || (status is >= 300 and < 400))
            {
                tally.Fail(index, $"{contentType} -> {status} {await response.Content.ReadAsStringAsync(deadline.Token)}", shown);
            }

            return status;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            tally.Count("hang");
            tally.Fail(index, $"{contentType} -> no answer within {RequestDeadline}", shown);
            return 0;
        }
        catch (Exception exception)
        {
            // The test server hands an unhandled exception of the application to the client: in production, a 500.
            tally.Count("500 " + exception.GetType().Name);
            tally.Fail(index, $"{contentType} -> {exception.GetType().Name}: {exception.Message}", shown);
            return 500;
        }
    }

    private static async Task<bool> IsUntouchedAsync(ApprovalTestHost host, PendingApproval before)
    {
        PendingApproval stored = await host.Approvals.GetAsync(before.Id);
        return stored.Status == ApprovalStatus.Pending && stored.Calls[0].Decision == CallDecisionStatus.AwaitingApproval &&
            stored.AuditTrail.Count == before.AuditTrail.Count;
    }

    private void Report(FuzzTally tally)
    {
        output.WriteLine(tally.ToString());
        Console.WriteLine(tally.ToString());
    }
}
