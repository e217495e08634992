using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HumanInLoop.Testing;

/// <summary>
/// An OpenAI-compatible chat completions endpoint on loopback (<c>POST {Url}/chat/completions</c>), answering in the real
/// wire format, as a whole completion or, when the request asks to stream, as <c>chat.completion.chunk</c> Server-Sent
/// Events ending with <c>[DONE]</c> (text word by word, each tool call's arguments in two pieces). So a sample's real-model
/// path (Microsoft.Extensions.AI.OpenAI over the OpenAI package, over HTTP) can be tested offline. Like OpenAI, it refuses
/// with 400 a history whose tool calls and tool messages do not pair up. (tests/BankingConsole.Tests has the
/// non-streaming original.) Thread-safe; serves one request at a time.
/// </summary>
public sealed class FakeOpenAIEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    /// <param name="respond">The assistant message (see <see cref="Text"/>, <see cref="ToolCall"/>) to answer a request body with.</param>
    public FakeOpenAIEndpoint(Func<JsonElement, JsonObject> respond)
    {
        Respond = respond;
        int port = FreePort();
        Url = $"http://127.0.0.1:{port}/v1";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>Gets the base URL to configure as the endpoint.</summary>
    public string Url { get; }

    /// <summary>Gets every request body received, in order.</summary>
    public ConcurrentQueue<JsonElement> Requests { get; } = new();

    /// <summary>Gets the <c>Authorization</c> header of every request, in order (null when absent).</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    /// <summary>Gets every request refused (a wrong path, or a malformed history), with the reason.</summary>
    public ConcurrentQueue<string> Refusals { get; } = new();

    /// <summary>Gets the function that computes the assistant message for a request body.</summary>
    public Func<JsonElement, JsonObject> Respond { get; }

    public static JsonObject Text(string text) => new() { ["role"] = "assistant", ["content"] = text };

    public static JsonObject ToolCall(string id, string name, string argumentsJson) => new()
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["id"] = id,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = name, ["arguments"] = argumentsJson },
        }),
    };

    public static IReadOnlyList<JsonElement> Messages(JsonElement body) => [.. body.GetProperty("messages").EnumerateArray()];

    /// <summary>Gets the names of the tools a request offered.</summary>
    public static IReadOnlyList<string> ToolNames(JsonElement body) => body.TryGetProperty("tools", out JsonElement tools)
        ? [.. tools.EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()!)]
        : [];

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
        {
            // Stopping the listener ends the loop this way.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                await AnswerAsync(context);
            }
            catch (Exception exception) when (exception is HttpListenerException or IOException)
            {
                // The client went away; serve the next request.
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        if (context.Request.HttpMethod != "POST" || context.Request.Url?.AbsolutePath != "/v1/chat/completions")
        {
            Refusals.Enqueue($"No such endpoint: {context.Request.HttpMethod} {context.Request.Url?.AbsolutePath}.");
            context.Response.StatusCode = 404;
            await WriteJsonAsync(context, new JsonObject { ["error"] = new JsonObject { ["message"] = "Not found.", ["type"] = "invalid_request_error" } });
            return;
        }

        using StreamReader reader = new(context.Request.InputStream, Encoding.UTF8);
        JsonElement body = JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone();
        Requests.Enqueue(body);
        Authorizations.Enqueue(context.Request.Headers["Authorization"]);
        string id = $"chatcmpl-{Requests.Count}";
        string model = body.GetProperty("model").GetString()!;

        if (Validate(body) is { } refusal)
        {
            Refusals.Enqueue(refusal);
            context.Response.StatusCode = 400;
            await WriteJsonAsync(context, new JsonObject { ["error"] = new JsonObject { ["message"] = refusal, ["type"] = "invalid_request_error" } });
            return;
        }

        JsonObject message = Respond(body);
        string finishReason = message.ContainsKey("tool_calls") ? "tool_calls" : "stop";
        if (!(body.TryGetProperty("stream", out JsonElement stream) && stream.ValueKind == JsonValueKind.True))
        {
            await WriteJsonAsync(context, new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = 1732438800,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finishReason }),
                ["usage"] = Usage(),
            });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.SendChunked = true;
        Stream output = context.Response.OutputStream;
        async Task SendAsync(string data)
        {
            await output.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"));
            await output.FlushAsync();
        }

        JsonObject Chunk(JsonObject delta, string? finish) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = 1732438800,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };

        await SendAsync(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null).ToJsonString());
        if (message["content"]?.GetValue<string>() is { Length: > 0 } text)
        {
            string[] words = text.Split(' ');
            for (int i = 0; i < words.Length; i++)
            {
                await SendAsync(Chunk(new JsonObject { ["content"] = i < words.Length - 1 ? words[i] + " " : words[i] }, null).ToJsonString());
            }
        }

        if (message["tool_calls"] is JsonArray calls)
        {
            for (int index = 0; index < calls.Count; index++)
            {
                JsonNode call = calls[index]!;
                string arguments = call["function"]!["arguments"]!.GetValue<string>();
                int half = arguments.Length / 2;
                await SendAsync(Chunk(ToolCallDelta(index, new JsonObject
                {
                    ["id"] = call["id"]!.GetValue<string>(),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call["function"]!["name"]!.GetValue<string>(), ["arguments"] = arguments[..half] },
                }), null).ToJsonString());
                await SendAsync(Chunk(ToolCallDelta(index, new JsonObject { ["function"] = new JsonObject { ["arguments"] = arguments[half..] } }), null).ToJsonString());
            }
        }

        await SendAsync(Chunk([], finishReason).ToJsonString());
        if (body.TryGetProperty("stream_options", out JsonElement options) && options.TryGetProperty("include_usage", out JsonElement usage) && usage.ValueKind == JsonValueKind.True)
        {
            await SendAsync(new JsonObject { ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = 1732438800, ["model"] = model, ["choices"] = new JsonArray(), ["usage"] = Usage() }.ToJsonString());
        }

        await SendAsync("[DONE]");
        context.Response.Close();
    }

    private static JsonObject ToolCallDelta(int index, JsonObject call)
    {
        call["index"] = index;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private static JsonObject Usage() => new() { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 };

    private static async Task WriteJsonAsync(HttpListenerContext context, JsonObject answer)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(answer.ToJsonString());
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    /// <summary>OpenAI's rule: every assistant tool call is answered by one tool message right after it, and no tool message answers nothing.</summary>
    private static string? Validate(JsonElement body)
    {
        HashSet<string> open = [];
        foreach (JsonElement message in Messages(body))
        {
            string role = message.GetProperty("role").GetString()!;
            if (role == "tool")
            {
                string id = message.GetProperty("tool_call_id").GetString()!;
                if (!open.Remove(id))
                {
                    return $"messages with role 'tool' must be a response to a preceding message with 'tool_calls' ({id}).";
                }

                continue;
            }

            if (open.Count > 0)
            {
                return $"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id': {string.Join(", ", open)}.";
            }

            if (message.TryGetProperty("tool_calls", out JsonElement calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement call in calls.EnumerateArray())
                {
                    open.Add(call.GetProperty("id").GetString()!);
                }
            }
        }

        return open.Count > 0 ? $"Tool calls without tool messages: {string.Join(", ", open)}." : null;
    }

    private static int FreePort()
    {
        using TcpListener probe = new(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
