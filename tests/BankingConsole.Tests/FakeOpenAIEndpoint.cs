using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BankingConsole.Tests;

/// <summary>
/// An OpenAI-compatible chat completions endpoint on loopback (<c>POST /v1/chat/completions</c>, non-streaming), so the
/// console's real-endpoint path (Microsoft.Extensions.AI.OpenAI over HTTP) can be tested offline. Like OpenAI, it refuses
/// a history whose tool calls and tool messages do not pair up.
/// </summary>
internal sealed class FakeOpenAIEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

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

    /// <summary>Gets every request refused for a malformed history, with the reason.</summary>
    public ConcurrentQueue<string> Refusals { get; } = new();

    /// <summary>Gets the message (role assistant) to answer a request body with.</summary>
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

            using StreamReader reader = new(context.Request.InputStream, Encoding.UTF8);
            JsonElement body = JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone();
            Requests.Enqueue(body);
            JsonObject answer;
            if (Validate(body) is { } refusal)
            {
                Refusals.Enqueue(refusal);
                context.Response.StatusCode = 400;
                answer = new JsonObject { ["error"] = new JsonObject { ["message"] = refusal, ["type"] = "invalid_request_error" } };
            }
            else
            {
                JsonObject message = Respond(body);
                answer = new JsonObject
                {
                    ["id"] = $"chatcmpl-{Requests.Count}",
                    ["object"] = "chat.completion",
                    ["created"] = 1732438800,
                    ["model"] = body.GetProperty("model").GetString(),
                    ["choices"] = new JsonArray(new JsonObject
                    {
                        ["index"] = 0,
                        ["message"] = message,
                        ["finish_reason"] = message.ContainsKey("tool_calls") ? "tool_calls" : "stop",
                    }),
                    ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
                };
            }

            byte[] bytes = Encoding.UTF8.GetBytes(answer.ToJsonString());
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    /// <summary>OpenAI's rule: every assistant tool call is answered by one tool message right after it, and no tool message answers nothing.</summary>
    private static string? Validate(JsonElement body)
    {
        IReadOnlyList<JsonElement> messages = Messages(body);
        HashSet<string> open = [];
        foreach (JsonElement message in messages)
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
