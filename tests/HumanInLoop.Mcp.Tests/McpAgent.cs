using System.Text.Json;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;

namespace HumanInLoop.Mcp.Tests;

/// <summary>The arguments of the server's <c>delete_file</c> tool, as a policy reads them.</summary>
public sealed record DeleteFile(string Path);

/// <summary>
/// An agent whose tools come from the MCP file server: a scripted model that deletes the file named in the user's message
/// (after listing the files when asked to), the gate, and policies on the MCP call's arguments.
/// </summary>
public sealed class McpAgent
{
    public static readonly Approver Manager = new("manager");

    public McpAgent()
    {
        Approvals = new ApprovalService(Store, new ApprovalOptions
        {
            Policies =
            {
                ApprovalPolicy.Allow("list_files"),
                ApprovalPolicy.RequireApprovalWhen<DeleteFile>("delete_file", d => !d.Path.StartsWith("tmp/", StringComparison.Ordinal), "Deleting a kept file needs a person."),
            },
        });
        Model = new ScriptedChatClient(Script);
        Pipeline = new ChatClientBuilder(Model).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
    }

    public InMemoryStateStore Store { get; } = new();

    public ApprovalService Approvals { get; }

    public ScriptedChatClient Model { get; }

    public IChatClient Pipeline { get; }

    /// <summary>The options of one session: the tools just listed from the server, protected.</summary>
    public static ChatOptions Options(IEnumerable<McpClientTool> tools) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(tools) }.WithCallerContext(new CallerContext { UserId = "carol", ConversationId = "files-1" });

    public async Task<ChatResponse> SendAsync(string text, ChatOptions options, bool streaming) => streaming
        ? await Pipeline.GetStreamingResponseAsync(text, options).ToChatResponseAsync()
        : await Pipeline.GetResponseAsync(text, options);

    public async Task<PendingApproval> SendHeldAsync(string text, ChatOptions options, bool streaming) =>
        (await Assert.ThrowsAsync<PendingApprovalException>(() => SendAsync(text, options, streaming))).Approval;

    public async Task<ChatResponse> ResumeAsync(string approvalId, ChatOptions options, bool streaming) => streaming
        ? await Approvals.ResumeStreamingAsync(approvalId, Pipeline, options).ToChatResponseAsync()
        : (await Approvals.ResumeAsync(approvalId, Pipeline, options)).Response;

    private static ChatResponse Script(IReadOnlyList<ChatMessage> messages)
    {
        ChatMessage last = messages[^1];
        if (last.Role == ChatRole.Tool)
        {
            return ScriptedChatClient.Text("Done: " + string.Join("; ", last.Contents.OfType<FunctionResultContent>().Select(r => Text(r.Result))));
        }

        string[] words = last.Text.Split(' ');
        FunctionCallContent delete = ScriptedChatClient.Call("call-delete", "delete_file", new Dictionary<string, object?> { ["path"] = words[^1] });
        return words[0] == "list"
            ? ScriptedChatClient.Calls(ScriptedChatClient.Call("call-list", "list_files"), delete)
            : ScriptedChatClient.Calls(delete);
    }

    /// <summary>A tool result as text, whichever form it took (the MCP tool's content, or its JSON read back from the store).</summary>
    public static string Text(object? result) => result switch
    {
        TextContent text => text.Text,
        JsonElement { ValueKind: JsonValueKind.String } json => json.GetString()!,
        JsonElement json when json.TryGetProperty("text", out JsonElement text) => text.GetString()!,
        _ => result?.ToString() ?? "",
    };
}
