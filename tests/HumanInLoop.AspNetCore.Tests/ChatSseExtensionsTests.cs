using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore.Tests;

public sealed class ChatSseExtensionsTests
{
    [Fact]
    public async Task Stream_PlainAnswer_TextDeltasThenDone()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();

        List<SseEvent> events = await ChatAsync(host, "hello");

        Assert.Equal(["text", "text", "text", "text", "text", "done"], events.Select(e => e.Event));
        Assert.Equal("Hello, how can I help?", string.Concat(events[..^1].Select(e => e.Data.GetProperty("text").GetString())));
        Assert.Equal("conv-1", events[^1].Data.GetProperty("conversationId").GetString());
        ChatSseCompletedArguments completion = Assert.Single(host.Completions);
        Assert.Equal(ChatSseOutcome.Completed, completion.Outcome);
        Assert.Equal("Hello, how can I help?", completion.Response.Text);
    }

    [Fact]
    public async Task Stream_AllowedTool_ToolCallAndResultThenTextThenDone()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();

        List<SseEvent> events = await ChatAsync(host, "balance");

        Assert.Equal("tool_call", events[0].Event);
        Assert.Equal("check_balance", events[0].Data.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Object, events[0].Data.GetProperty("arguments").ValueKind);
        Assert.Equal("tool_result", events[1].Event);
        Assert.Equal(1000, events[1].Data.GetProperty("result").GetDecimal());
        Assert.Equal("Done. c-bal=1000", string.Concat(events[2..^1].Select(e => e.Data.GetProperty("text").GetString())));
        Assert.Equal("done", events[^1].Event);
    }

    [Fact]
    public async Task Stream_GatedTransfer_TextThenApprovalRequiredThenEnds_NothingRan()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();

        List<SseEvent> events = await ChatAsync(host, "transfer 150 to bob");

        Assert.Equal(["text", "text", "text", "approval_required"], events.Select(e => e.Event));
        JsonElement pause = events[^1].Data;
        string approvalId = pause.GetProperty("approvalId").GetString()!;
        PendingApproval stored = await host.Approvals.GetAsync(approvalId);
        Assert.Equal(ApprovalStatus.Pending, stored.Status);
        Assert.Equal("conv-1", pause.GetProperty("conversationId").GetString());
        JsonElement call = Assert.Single(pause.GetProperty("calls").EnumerateArray());
        Assert.Equal("transfer", call.GetProperty("toolName").GetString());
        Assert.True(call.GetProperty("awaitingApproval").GetBoolean());
        Assert.Equal(stored.Calls[0].Fingerprint, call.GetProperty("fingerprint").GetString());
        Assert.Empty(host.Transfers);
        ChatSseCompletedArguments completion = Assert.Single(host.Completions);
        Assert.Equal(ChatSseOutcome.ApprovalRequired, completion.Outcome);
        Assert.Equal(approvalId, completion.Approval!.Id);
    }

    [Theory]
    [InlineData("transfer 150 to bob", "carol", true)]
    [InlineData("wire 150 to bob", "carol", false)]
    [InlineData("wire 150 to bob", "treasurer", true)]
    public async Task ApprovalRequired_WithTheViewer_SaysWhatTheInboxSaysOfCanDecide(string message, string user, bool expected)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        TestUser reader = host.Client(user, ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await reader.Http.PostAsJsonAsync("/chat", new ChatPost(message, "conv-1", ShowViewer: true));
        JsonElement pause = (await SseEvent.ReadAllAsync(response))[^1].Data;
        JsonElement streamed = Assert.Single(pause.GetProperty("calls").EnumerateArray());
        JsonElement inbox = await reader.Http.GetFromJsonAsync<JsonElement>($"/approvals/{pause.GetProperty("approvalId").GetString()}");

        Assert.Equal(expected, streamed.GetProperty("canDecide").GetBoolean());
        Assert.Equal(inbox.GetProperty("calls")[0].GetProperty("canDecide").GetBoolean(), streamed.GetProperty("canDecide").GetBoolean());
    }

    [Fact]
    public async Task ApprovalRequired_WithoutAViewer_CanDecideIsFalse()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();

        JsonElement pause = (await ChatAsync(host, "transfer 150 to bob"))[^1].Data;

        Assert.False(Assert.Single(pause.GetProperty("calls").EnumerateArray()).GetProperty("canDecide").GetBoolean());
    }

    [Fact]
    public async Task Stream_ModelFails_GenericErrorEventWithoutInternalDetails()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();

        List<SseEvent> events = await ChatAsync(host, "fail now");

        SseEvent error = Assert.Single(events);
        Assert.Equal("error", error.Event);
        Assert.Equal(500, error.Data.GetProperty("status").GetInt32());
        Assert.DoesNotContain("secret", error.Data.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(ChatSseOutcome.Failed, Assert.Single(host.Completions).Outcome);
    }

    [Fact]
    public async Task Events_SerializeWithoutTheirTypeProperty()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();

        List<SseEvent> events = await ChatAsync(host, "hello");

        Assert.All(events, e => Assert.False(e.Data.TryGetProperty("eventType", out _)));
    }

    [Fact]
    public async Task ToServerSentEvents_CompletionCallbackThrows_EndsWithErrorInsteadOfDone()
    {
        IAsyncEnumerable<ChatResponseUpdate> updates = new[] { new ChatResponseUpdate(ChatRole.Assistant, "hi") }.ToAsyncEnumerable();
        ChatSseOptions options = new() { OnCompleted = (_, _) => throw new InvalidOperationException("disk full") };

        List<string> names = [];
        await foreach (var item in updates.ToServerSentEvents(options))
        {
            names.Add(item.EventType!);
        }

        Assert.Equal(["text", "error"], names);
    }

    /// <summary>
    /// The page reloads just as the answer ends: the request is aborted after the last text, once the model (and a resume
    /// with it) has finished. The host's save of that outcome must still run to its end, or its record of the conversation
    /// would lack an answer the approval service has already recorded as given.
    /// </summary>
    [Fact]
    public async Task ToServerSentEvents_ClientGoesAwayAsTheAnswerEnds_CompletionCallbackStillRunsToTheEnd()
    {
        using CancellationTokenSource request = new();
        bool? abortedWhileSaving = null;
        ChatSseCompletedArguments? saved = null;
        ChatSseOptions options = new()
        {
            OnCompleted = async (completion, token) =>
            {
                await Task.Yield();
                abortedWhileSaving = token.IsCancellationRequested;
                token.ThrowIfCancellationRequested(); // what a database call given this token does
                saved = completion;
            },
        };

        await using IAsyncEnumerator<SseItem<ChatSseEvent>> events = Finished("Transferred.").ToServerSentEvents(options, request.Token).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        Assert.IsType<ChatSseTextEvent>(events.Current.Data);
        await request.CancelAsync();
        Assert.True(await events.MoveNextAsync());

        Assert.IsType<ChatSseDoneEvent>(events.Current.Data);
        Assert.False(abortedWhileSaving);
        Assert.Equal("Transferred.", saved?.Response.Text);
    }

    [Fact]
    public async Task ToServerSentEvents_CallbackThrowsAfterAFailure_StillEndsWithTheOriginalError()
    {
        ChatSseOptions options = new() { OnCompleted = (_, _) => throw new InvalidOperationException("disk full") };
        List<ChatSseEvent> events = [];
        await foreach (var item in Throwing(new ApprovalExpiredException("apr_1", DateTimeOffset.UnixEpoch)).ToServerSentEvents(options))
        {
            events.Add(item.Data);
        }

        ChatSseErrorEvent error = Assert.IsType<ChatSseErrorEvent>(Assert.Single(events));
        Assert.Equal(410, error.Status);
    }

    [Fact]
    public void Options_InvalidSettings_AreRefusedWhenSet()
    {
        ApprovalEndpointOptions options = new();

        Assert.Throws<ArgumentNullException>(() => options.ApproverFromUser = null!);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxPageSize = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxPageSize = 1001);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.ExcerptMessages = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.ExcerptMaxLength = 15);
        Assert.Equal(ApprovalEndpointOptions.DefaultApproverPolicy, options.ApproverPolicy);
        Assert.True(options.ValidateAntiforgery);
    }

    [Fact]
    public async Task ToServerSentEvents_TypedApprovalError_KeepsItsStatusAndMessage()
    {
        ChatSseOptions options = new();
        List<ChatSseEvent> events = [];
        await foreach (var item in Throwing(new ApprovalConflictException("apr_1", ApprovalStatus.Executing, "being resumed")).ToServerSentEvents(options))
        {
            events.Add(item.Data);
        }

        ChatSseErrorEvent error = Assert.IsType<ChatSseErrorEvent>(Assert.Single(events));
        Assert.Equal(409, error.Status);
        Assert.Equal("being resumed", error.Detail);
    }

    /// <summary>An answer that has already finished (it no longer watches any token), as a model's stream at its end.</summary>
    private static async IAsyncEnumerable<ChatResponseUpdate> Finished(string text)
    {
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, text);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Throwing(Exception exception)
    {
        await Task.Yield();
        throw exception;
#pragma warning disable CS0162 // an iterator needs a yield
        yield break;
#pragma warning restore CS0162
    }

    private static async Task<List<SseEvent>> ChatAsync(ApprovalTestHost host, string message)
    {
        using HttpResponseMessage response = await host.Client("carol").Http.PostAsJsonAsync("/chat", new ChatPost(message, "conv-1"));
        return await SseEvent.ReadAllAsync(response);
    }
}
