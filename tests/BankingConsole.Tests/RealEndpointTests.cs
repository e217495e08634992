using HumanInLoop.Testing;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BankingConsole.Tests;

/// <summary>
/// With HUMANINLOOP_OPENAI_ENDPOINT set, the console talks to an OpenAI-compatible endpoint through
/// Microsoft.Extensions.AI.OpenAI, and nothing else changes. Here the endpoint is a fake on loopback.
/// </summary>
public sealed class RealEndpointTests
{
    [Fact]
    public async Task ToolCalling_OverTheOpenAIWire_PausesOnTheModelsCall_ResumesAfterApproval()
    {
        await using FakeOpenAIEndpoint endpoint = new(body =>
        {
            JsonElement last = FakeOpenAIEndpoint.Messages(body)[^1];
            return last.GetProperty("role").GetString() == "tool"
                ? FakeOpenAIEndpoint.Text("Model read: " + last.GetProperty("content").GetString())
                : FakeOpenAIEndpoint.ToolCall("call_wire_1", "transfer", """{"to":"bob","amount":500}""");
        });
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, [], new Dictionary<string, string>
        {
            ["HUMANINLOOP_OPENAI_ENDPOINT"] = endpoint.Url,
            ["HUMANINLOOP_OPENAI_MODEL"] = "test-model",
        });
        Assert.StartsWith("READY mode=tools model=test-model@http://127.0.0.1:", console.Startup[0], StringComparison.Ordinal);

        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say please send bob five hundred")));
        Assert.Equal(("transfer", "{\"amount\":500,\"to\":\"bob\"}", "call_wire_1"), (pending.Tool, pending.Arguments, pending.CallId));
        JsonElement first = Assert.Single(endpoint.Requests);
        Assert.Equal("test-model", first.GetProperty("model").GetString());
        Assert.Equal(["check_balance", "deposit", "transfer"], first.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()));
        Assert.Equal(1000m, (await console.BalancesAsync())["carol"]);

        IReadOnlyList<string> approved = await console.SendAsync($"approve {pending.ApprovalId}");

        // After a resume the model reads the tool's text as it would had the call run at once: not JSON-quoted.
        Assert.Contains("Model read: Transferred $500.00 from carol to bob. Carol now has $500.00, bob has $750.00.", Parse.Answer(approved), StringComparison.Ordinal);
        Assert.Equal(500m, (await console.BalancesAsync())["carol"]);

        // The conversation goes on with a history the provider accepts (no unanswered calls from the pause).
        Assert.Single(Parse.Pending(await console.SendAsync("say and the same again")));
        Assert.Empty(endpoint.Refusals);
        Assert.Equal(500m, (await console.BalancesAsync())["carol"]);
    }

    [Fact]
    public async Task Router_OverTheOpenAIWire_AsksForTheJsonSchema_RunsThePlan()
    {
        await using FakeOpenAIEndpoint endpoint = new(_ => FakeOpenAIEndpoint.Text(
            """{"actions":[{"kind":"deposit","to":null,"account":null,"amount":20},{"kind":"transfer","to":"bob","account":null,"amount":500}],"reply":null}"""));
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, ["--mode", "router", "--endpoint", endpoint.Url, "--api-key", "sk-test"]);

        IReadOnlyList<string> said = await console.SendAsync("say put in twenty and pay bob 500");

        JsonElement request = Assert.Single(endpoint.Requests);
        JsonElement format = request.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        string schema = format.GetProperty("json_schema").GetProperty("schema").GetRawText();
        Assert.Contains("\"actions\"", schema, StringComparison.Ordinal);
        Assert.Contains("\"check_balance\"", schema, StringComparison.Ordinal); // the action kinds are the tool names
        Assert.Contains("\"transfer\"", schema, StringComparison.Ordinal);
        Assert.False(request.TryGetProperty("tools", out _));
        Assert.Equal("deposit {\"amount\":20} Deposited $20.00 into carol. Carol now has $1,020.00.", Assert.Single(Parse.Starting(said, "RESULT")));
        Assert.Equal("{\"amount\":500,\"to\":\"bob\"}", Assert.Single(Parse.Pending(said)).Arguments);
    }

    [Fact]
    public async Task UnreachableEndpoint_ErrorLine_SessionGoesOn()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, ["--endpoint", "http://127.0.0.1:9/v1"]);

        IReadOnlyList<string> said = await console.SendAsync("say deposit 20");

        Assert.StartsWith("ERROR ", Assert.Single(said), StringComparison.Ordinal);
        Assert.Equal(1000m, (await console.BalancesAsync())["carol"]);
    }
}
