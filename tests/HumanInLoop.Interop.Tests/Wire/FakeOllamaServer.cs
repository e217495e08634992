using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HumanInLoop.Interop.Tests.Wire;

/// <summary>
/// Ollama's native chat endpoint (<c>POST /api/chat</c>): with <c>"stream": false</c> one JSON object, otherwise
/// newline-delimited JSON (<c>application/x-ndjson</c>), one object per line, the last with <c>"done": true</c>. Tool calls
/// are <c>message.tool_calls[].function</c> with <c>name</c> and <c>arguments</c> as a JSON object (not a string, unlike
/// OpenAI), each in a chunk of its own when streaming. Ollama refuses arguments that are not an object but does not itself
/// police tool results; this fake does: every <c>tool</c> message must follow an assistant message with <c>tool_calls</c>,
/// one per call, naming a call of that message when it names one.
/// </summary>
public sealed class FakeOllamaServer : FakeModelServer
{
    public const string Model = "llama3.2";

    /// <summary>
    /// Gets or sets a value indicating whether tool calls carry an <c>id</c> (Ollama 0.12 and later) or only a function
    /// (earlier servers, where the client must make ids up).
    /// </summary>
    public bool EmitCallIds { get; set; } = true;

    protected override string ChatPath => "/api/chat";

    protected override WireRequest Parse(JsonElement body)
    {
        List<WireMessage> messages = [];
        foreach (JsonElement message in body.GetProperty("messages").EnumerateArray())
        {
            List<WireToolCall> calls = [];
            if (message.TryGetProperty("tool_calls", out JsonElement toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement call in toolCalls.EnumerateArray())
                {
                    JsonElement function = call.GetProperty("function");
                    calls.Add(new WireToolCall(OptionalString(call, "id"), function.GetProperty("name").GetString()!, function.GetProperty("arguments").GetRawText()));
                }
            }

            messages.Add(new WireMessage(
                message.GetProperty("role").GetString()!,
                OptionalString(message, "content"),
                calls,
                OptionalString(message, "tool_call_id"),
                OptionalString(message, "tool_name")));
        }

        List<string> tools = [];
        if (body.TryGetProperty("tools", out JsonElement offered) && offered.ValueKind == JsonValueKind.Array)
        {
            tools.AddRange(offered.EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()!));
        }

        // Ollama streams unless told not to.
        bool stream = !body.TryGetProperty("stream", out JsonElement s) || s.ValueKind != JsonValueKind.False;
        return new WireRequest(stream, messages, tools, body);
    }

    protected override string? Validate(WireRequest request)
    {
        IReadOnlyList<WireMessage> messages = request.Messages;
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].ToolCalls.Count == 0)
            {
                if (messages[i].Role == "tool" && (i == 0 || (messages[i - 1].Role != "tool" && messages[i - 1].ToolCalls.Count == 0)))
                {
                    return $"messages[{i}]: a tool message that follows no assistant message with tool_calls.";
                }

                continue;
            }

            IReadOnlyList<WireToolCall> calls = messages[i].ToolCalls;
            if (calls.FirstOrDefault(c => !c.ArgumentsJson.StartsWith('{')) is { } notAnObject)
            {
                return $"messages[{i}]: the arguments of '{notAnObject.Name}' are not a JSON object: {notAnObject.ArgumentsJson}";
            }

            WireMessage[] results = [.. messages.Skip(i + 1).TakeWhile(m => m.Role == "tool")];
            if (results.Length != calls.Count)
            {
                return $"messages[{i}]: {calls.Count} tool call(s) answered by {results.Length} tool message(s).";
            }

            foreach (WireMessage result in results)
            {
                bool known = result.ToolCallId is { } id
                    ? calls.Any(c => c.Id == id)
                    : result.ToolName is null || calls.Any(c => c.Name == result.ToolName);
                if (!known)
                {
                    return $"messages[{i}]: a tool message answers a call this message did not make (id '{result.ToolCallId}', name '{result.ToolName}').";
                }
            }
        }

        return null;
    }

    protected override Task WriteErrorAsync(HttpResponse response, string message)
    {
        response.ContentType = "application/json; charset=utf-8";
        return response.WriteAsync(new JsonObject { ["error"] = message }.ToJsonString());
    }

    protected override async Task WriteTurnAsync(HttpResponse response, WireRequest request, ModelTurn turn, CancellationToken cancellationToken)
    {
        if (!request.Stream)
        {
            JsonObject message = Message(turn.Text ?? "");
            if (turn.Calls.Count > 0)
            {
                message["tool_calls"] = new JsonArray([.. turn.Calls.Select((c, i) => (JsonNode)ToolCall(c, i))]);
            }

            response.ContentType = "application/json; charset=utf-8";
            await response.WriteAsync(Done(Line(message)).ToJsonString(), cancellationToken);
            return;
        }

        response.ContentType = "application/x-ndjson";
        if (turn.Text is { } text)
        {
            foreach (string word in Words(text))
            {
                await SendAsync(Line(Message(word)));
            }
        }

        for (int i = 0; i < turn.Calls.Count; i++)
        {
            JsonObject message = Message("");
            message["tool_calls"] = new JsonArray(ToolCall(turn.Calls[i], i));
            await SendAsync(Line(message));
        }

        await SendAsync(Done(Line(Message(""))));

        async Task SendAsync(JsonObject line)
        {
            await response.WriteAsync(line.ToJsonString() + "\n", cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }

    private JsonObject ToolCall(WireToolCall call, int index)
    {
        JsonObject toolCall = new()
        {
            ["function"] = new JsonObject { ["index"] = index, ["name"] = call.Name, ["arguments"] = JsonNode.Parse(call.ArgumentsJson) },
        };
        if (EmitCallIds)
        {
            toolCall.Insert(0, "id", call.Id);
        }

        return toolCall;
    }

    private static JsonObject Message(string content) => new() { ["role"] = "assistant", ["content"] = content };

    private static JsonObject Line(JsonObject message) => new()
    {
        ["model"] = Model,
        ["created_at"] = "2026-11-24T09:00:00.123456Z",
        ["message"] = message,
        ["done"] = false,
    };

    private static JsonObject Done(JsonObject line)
    {
        line["done_reason"] = "stop";
        line["done"] = true;
        line["total_duration"] = 885095291;
        line["load_duration"] = 3753500;
        line["prompt_eval_count"] = 122;
        line["prompt_eval_duration"] = 328493000;
        line["eval_count"] = 33;
        line["eval_duration"] = 552222000;
        return line;
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IEnumerable<string> Words(string text)
    {
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }
    }
}
