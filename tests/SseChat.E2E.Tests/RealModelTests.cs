using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HumanInLoop.Testing;

namespace SseChat.E2E.Tests;

/// <summary>
/// The sample as its own process, configured by the environment for an OpenAI-compatible endpoint (a fake one on loopback
/// that streams the real wire format), driven over HTTP as the page drives it: the model's transfer pauses the stream with
/// <c>approval_required</c>, the decision and the resume go through the approval endpoints, the transfer runs once.
/// No browser needed.
/// </summary>
public sealed class RealModelTests
{
    private const string ApiKey = "sk-ssechat-test-secret";

    [Fact]
    public async Task ConsoleVariables_OverTheOpenAIWire_PausesOnTheModelsCall_ApproveResumes_TransfersOnce()
    {
        await using FakeOpenAIEndpoint endpoint = new(body =>
        {
            JsonElement last = FakeOpenAIEndpoint.Messages(body)[^1];
            return last.GetProperty("role").GetString() == "tool"
                ? FakeOpenAIEndpoint.Text("Model read: " + last.GetProperty("content").GetString())
                : FakeOpenAIEndpoint.ToolCall("call_wire_1", "transfer", """{"to":"bob","amount":150}""");
        });
        await using SseChatServer server = await SseChatServer.StartAsync(new Dictionary<string, string>
        {
            ["HUMANINLOOP_OPENAI_ENDPOINT"] = endpoint.Url,
            ["HUMANINLOOP_OPENAI_MODEL"] = "test-model",
            ["HUMANINLOOP_OPENAI_API_KEY"] = ApiKey,
            ["Logging__LogLevel__SseChat"] = "Information",
        });
        using HttpClient client = await SignInAsync(server);

        using HttpResponseMessage chat = await client.PostAsJsonAsync("/chat", new { message = "please send bob 150" });
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        (string Event, JsonElement Data) paused = (await ReadEventsAsync(chat))[^1];

        // The stream ended with the model's call, from the wire, waiting for a decision; nothing moved.
        Assert.Equal("approval_required", paused.Event);
        JsonElement call = Assert.Single(paused.Data.GetProperty("calls").EnumerateArray());
        Assert.Equal(("call_wire_1", "transfer"), (call.GetProperty("callId").GetString(), call.GetProperty("toolName").GetString()));
        Assert.Equal(150m, call.GetProperty("arguments").GetProperty("amount").GetDecimal());
        Assert.Equal(0, server.CountTransfers());
        JsonElement first = Assert.Single(endpoint.Requests);
        Assert.True(first.GetProperty("stream").GetBoolean());
        Assert.Equal("test-model", first.GetProperty("model").GetString());
        Assert.Equal(["check_balance", "deposit", "transfer"], FakeOpenAIEndpoint.ToolNames(first));
        Assert.Equal($"Bearer {ApiKey}", Assert.Single(endpoint.Authorizations));

        string approvalId = paused.Data.GetProperty("approvalId").GetString()!;
        using HttpResponseMessage decided = await client.PostAsJsonAsync(
            $"/api/approvals/{approvalId}/calls/call_wire_1/decision", new { decision = "approve", fingerprint = call.GetProperty("fingerprint").GetString() });
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        using HttpResponseMessage resume = await client.PostAsync($"/api/approvals/{approvalId}/resume", JsonContent.Create(new { }));
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        List<(string Event, JsonElement Data)> resumed = await ReadEventsAsync(resume);

        // The transfer ran once; the model got its result in a history the provider accepts, and its answer streamed back.
        Assert.Equal("done", resumed[^1].Event);
        Assert.Equal(
            "Model read: Transferred $150.00 to bob. Your balance is $850.00.",
            string.Concat(resumed.Where(e => e.Event == "text").Select(e => e.Data.GetProperty("text").GetString())));
        Assert.Equal(1, server.CountTransfers());
        Assert.Equal(2, endpoint.Requests.Count);
        JsonElement result = Assert.Single(FakeOpenAIEndpoint.Messages(endpoint.Requests.ToArray()[1]), m => m.GetProperty("role").GetString() == "tool");
        Assert.Equal("call_wire_1", result.GetProperty("tool_call_id").GetString());
        Assert.Equal("Transferred $150.00 to bob. Your balance is $850.00.", result.GetProperty("content").GetString());
        Assert.Empty(endpoint.Refusals);

        // The start was logged with the model and endpoint, never the key.
        Assert.Contains("Model: test-model at http://127.0.0.1:", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, server.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Model__Endpoint", "localhost:11434/v1", "Model__Name", "llama3.1", "Model:Endpoint (or HUMANINLOOP_OPENAI_ENDPOINT) 'localhost:11434/v1' is not an absolute http or https URL")]
    [InlineData("HUMANINLOOP_OPENAI_ENDPOINT", "http://127.0.0.1:9/v1", "Model__ApiKey", "", "Model:Name (or HUMANINLOOP_OPENAI_MODEL) is not set")]
    public async Task BadModelConfiguration_ProcessExitsAtStart_SayingWhatToSet(string variable, string value, string otherVariable, string otherValue, string message)
    {
        (int exitCode, string output) = await SseChatServer.RunUntilExitAsync(new Dictionary<string, string> { [variable] = value, [otherVariable] = otherValue });

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    private static async Task<HttpClient> SignInAsync(SseChatServer server)
    {
        HttpClient client = new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        using HttpResponseMessage signedIn = await client.PostAsJsonAsync("/account/signin", new { name = "teller", approver = true });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        JsonElement token = await client.GetFromJsonAsync<JsonElement>("/api/approvals/antiforgery");
        client.DefaultRequestHeaders.Add(token.GetProperty("headerName").GetString()!, token.GetProperty("token").GetString());
        return client;
    }

    /// <summary>Reads a Server-Sent Events response to its end: each event's name and its JSON data.</summary>
    private static async Task<List<(string Event, JsonElement Data)>> ReadEventsAsync(HttpResponseMessage response)
    {
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        List<(string, JsonElement)> events = [];
        foreach (string block in (await response.Content.ReadAsStringAsync()).Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n"))
        {
            string[] lines = block.Split('\n');
            string name = lines.FirstOrDefault(l => l.StartsWith("event:", StringComparison.Ordinal))?["event:".Length..].Trim() ?? "message";
            string data = string.Join("\n", lines.Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l["data:".Length..].TrimStart()));
            if (data.Length > 0)
            {
                events.Add((name, JsonDocument.Parse(data).RootElement.Clone()));
            }
        }

        return events;
    }
}
