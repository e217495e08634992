using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HumanInLoop.Interop.Tests.Wire;

/// <summary>
/// OpenAI's chat completions endpoint (<c>POST /v1/chat/completions</c>): a <c>chat.completion</c> JSON body, or with
/// <c>"stream": true</c> server-sent events of <c>chat.completion.chunk</c>s ending in <c>data: [DONE]</c>, where each tool
/// call's <c>function.arguments</c> arrives in several deltas. Refuses, with OpenAI's own messages, a history in which an
/// assistant message's <c>tool_calls</c> are not each answered by a <c>tool</c> message, or a tool message answers nothing.
/// </summary>
public sealed class FakeOpenAIServer : FakeModelServer
{
    public const string Model = "gpt-4o-mini-2024-07-18";
    private const long Created = 1732438800;
    private int _completions;

    /// <summary>Gets or sets how many characters of a call's arguments each delta carries.</summary>
    public int ArgumentChunkLength { get; set; } = 7;

    protected override string ChatPath => "/v1/chat/completions";

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
                    calls.Add(new WireToolCall(call.GetProperty("id").GetString(), function.GetProperty("name").GetString()!, function.GetProperty("arguments").GetString()!));
                }
            }

            messages.Add(new WireMessage(
                message.GetProperty("role").GetString()!,
                ReadContent(message),
                calls,
                message.TryGetProperty("tool_call_id", out JsonElement id) ? id.GetString() : null,
                null));
        }

        List<string> tools = [];
        if (body.TryGetProperty("tools", out JsonElement offered))
        {
            tools.AddRange(offered.EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()!));
        }

        bool stream = body.TryGetProperty("stream", out JsonElement s) && s.ValueKind == JsonValueKind.True;
        return new WireRequest(stream, messages, tools, body);
    }

    protected override string? Validate(WireRequest request)
    {
        // The rules OpenAI enforces on a history with tool calls, with its own error messages.
        IReadOnlyList<WireMessage> messages = request.Messages;
        for (int i = 0; i < messages.Count; i++)
        {
            WireMessage message = messages[i];
            if (message.Role == "tool")
            {
                bool answersPrecedingCall = false;
                for (int j = i - 1; j >= 0 && !answersPrecedingCall; j--)
                {
                    answersPrecedingCall = messages[j].ToolCalls.Any(c => c.Id == message.ToolCallId);
                    if (messages[j].Role != "tool")
                    {
                        break;
                    }
                }

                if (!answersPrecedingCall)
                {
                    return $"Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. (messages.[{i}], tool_call_id '{message.ToolCallId}')";
                }
            }

            if (message.ToolCalls.Count > 0)
            {
                List<string?> answered = [.. messages.Skip(i + 1).TakeWhile(m => m.Role == "tool").Select(m => m.ToolCallId)];
                string[] missing = [.. message.ToolCalls.Select(c => c.Id!).Where(id => !answered.Contains(id))];
                if (missing.Length > 0)
                {
                    return "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. " +
                        $"The following tool_call_ids did not have response messages: {string.Join(", ", missing)}";
                }

                string[] twice = [.. answered.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key!)];
                if (twice.Length > 0)
                {
                    return $"Invalid parameter: more than one tool message responds to tool_call_id {string.Join(", ", twice)}.";
                }
            }
        }

        return null;
    }

    protected override Task WriteErrorAsync(HttpResponse response, string message)
    {
        JsonObject error = new()
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = "messages", ["code"] = null },
        };
        response.ContentType = "application/json";
        return response.WriteAsync(error.ToJsonString());
    }

    protected override async Task WriteTurnAsync(HttpResponse response, WireRequest request, ModelTurn turn, CancellationToken cancellationToken)
    {
        string id = $"chatcmpl-AX{Interlocked.Increment(ref _completions):D4}kq7ZpB2Lm";
        string finish = turn.Calls.Count > 0 ? "tool_calls" : "stop";
        if (!request.Stream)
        {
            JsonObject message = new() { ["role"] = "assistant", ["content"] = turn.Text, ["refusal"] = null, ["annotations"] = new JsonArray() };
            if (turn.Calls.Count > 0)
            {
                message["tool_calls"] = new JsonArray([.. turn.Calls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.ArgumentsJson },
                })]);
            }

            JsonObject completion = Envelope(id, "chat.completion");
            completion["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = finish });
            completion["usage"] = Usage();
            response.ContentType = "application/json";
            await response.WriteAsync(completion.ToJsonString(), cancellationToken);
            return;
        }

        response.ContentType = "text/event-stream";
        await SendAsync(Chunk(id, new JsonObject { ["role"] = "assistant", ["content"] = "", ["refusal"] = null }, null));
        if (turn.Text is { } text)
        {
            foreach (string piece in Pieces(text, 6))
            {
                await SendAsync(Chunk(id, new JsonObject { ["content"] = piece }, null));
            }
        }

        for (int index = 0; index < turn.Calls.Count; index++)
        {
            WireToolCall call = turn.Calls[index];

            // As OpenAI streams a call: id and name first with empty arguments, then the arguments in fragments.
            await SendAsync(Chunk(id, ToolCallDelta(index, new JsonObject
            {
                ["id"] = call.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = "" },
            }), null));
            foreach (string fragment in Pieces(call.ArgumentsJson, ArgumentChunkLength))
            {
                await SendAsync(Chunk(id, ToolCallDelta(index, new JsonObject { ["function"] = new JsonObject { ["arguments"] = fragment } }), null));
            }
        }

        await SendAsync(Chunk(id, new JsonObject(), finish));
        if (request.Body.TryGetProperty("stream_options", out JsonElement options) &&
            options.TryGetProperty("include_usage", out JsonElement usage) && usage.ValueKind == JsonValueKind.True)
        {
            JsonObject last = Envelope(id, "chat.completion.chunk");
            last["choices"] = new JsonArray();
            last["usage"] = Usage();
            await SendAsync(last.ToJsonString());
        }

        await SendAsync("[DONE]");

        async Task SendAsync(string data)
        {
            await response.WriteAsync($"data: {data}\n\n", Encoding.UTF8, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }

    private static string? ReadContent(JsonElement message)
    {
        if (!message.TryGetProperty("content", out JsonElement content))
        {
            return null;
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString(),
            JsonValueKind.Array => string.Concat(content.EnumerateArray()
                .Where(p => p.GetProperty("type").GetString() == "text").Select(p => p.GetProperty("text").GetString())),
            _ => null,
        };
    }

    private static JsonObject ToolCallDelta(int index, JsonObject call)
    {
        call.Insert(0, "index", index);
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private static string Chunk(string id, JsonObject delta, string? finish)
    {
        JsonObject chunk = Envelope(id, "chat.completion.chunk");
        chunk["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finish });
        chunk["usage"] = null;
        return chunk.ToJsonString();
    }

    private static JsonObject Envelope(string id, string type) => new()
    {
        ["id"] = id,
        ["object"] = type,
        ["created"] = Created,
        ["model"] = Model,
        ["service_tier"] = "default",
        ["system_fingerprint"] = "fp_0ba0d124f1",
    };

    private static JsonObject Usage() => new()
    {
        ["prompt_tokens"] = 82,
        ["completion_tokens"] = 17,
        ["total_tokens"] = 99,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 0, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject
        {
            ["reasoning_tokens"] = 0,
            ["audio_tokens"] = 0,
            ["accepted_prediction_tokens"] = 0,
            ["rejected_prediction_tokens"] = 0,
        },
    };

    private static IEnumerable<string> Pieces(string text, int length)
    {
        for (int i = 0; i < text.Length; i += length)
        {
            yield return text.Substring(i, Math.Min(length, text.Length - i));
        }
    }
}
