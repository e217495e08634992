using System.Runtime.CompilerServices;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop;

/// <summary>
/// A chat client middleware that checks every function call of every model response against the approval policies
/// before anything runs. Allowed calls pass through to function invocation; denied calls are answered with a denial;
/// if any call needs a person, nothing of the batch runs: a <see cref="PendingApproval"/> is saved and
/// <see cref="PendingApprovalException"/> is thrown.
/// </summary>
/// <remarks>
/// <para>
/// It must sit <em>inside</em> <see cref="FunctionInvokingChatClient"/>, between it and the model:
/// <c>builder.UseFunctionInvocation().UseApprovalGate(...)</c>. Placed outside, it would never see the calls that
/// function invocation runs, so the first request through such a pipeline throws <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// Streaming behaves like non-streaming: updates flow through until the first function call appears; from then on
/// the rest of the response is held until the policies have decided, so no part of a held call reaches the caller.
/// Updates that flow through before a decision lose their <c>RawRepresentation</c>, where providers carry partial tool calls.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class ApprovalGateChatClient : DelegatingChatClient
{
    private readonly ILogger _logger;
    private volatile bool _pipelineChecked;

    /// <summary>Initializes a new instance of the <see cref="ApprovalGateChatClient"/> class.</summary>
    /// <param name="innerClient">The client that talks to the model.</param>
    /// <param name="approvals">The service with the policies and the store.</param>
    public ApprovalGateChatClient(IChatClient innerClient, ApprovalService approvals)
        : this(innerClient, approvals, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ApprovalGateChatClient"/> class that logs each verdict at Debug level.</summary>
    /// <param name="innerClient">The client that talks to the model.</param>
    /// <param name="approvals">The service with the policies and the store.</param>
    /// <param name="loggerFactory">Where the gate logs (category <c>HumanInLoop.ApprovalGateChatClient</c>); <see langword="null"/> for nowhere.</param>
    public ApprovalGateChatClient(IChatClient innerClient, ApprovalService approvals, ILoggerFactory? loggerFactory)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(approvals);
        Approvals = approvals;
        _logger = (ILogger?)loggerFactory?.CreateLogger<ApprovalGateChatClient>() ?? NullLogger.Instance;
    }

    /// <summary>Gets the service that evaluates the policies and stores approvals.</summary>
    public ApprovalService Approvals { get; }

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        EnsurePipelineOrder();
        GateInputChecks.EnsureToolsProtected(Approvals.RequireProtectedTools, options);
        IEnumerable<ChatMessage> input = messages is IReadOnlyCollection<ChatMessage> ? messages : [.. messages];
        GateInputChecks.ThrowIfApprovalResponseRefused(input, Approvals.Refusals);
        Task<ChatResponse> responseTask = base.GetResponseAsync(input, options, cancellationToken);

        if (!responseTask.IsCompletedSuccessfully)
        {
            return GateResponseAsync(responseTask, input, options, cancellationToken);
        }

        // Hot paths: a response without function calls, or whose calls were all allowed at once, passes through as it came.
        ChatResponse response = responseTask.Result;
        if (!FunctionCalls.Any(response.Messages))
        {
            return responseTask;
        }

        ValueTask<ChatMessage?> gate = GateAsync(input, response.Messages, options, cancellationToken);
        if (!gate.IsCompletedSuccessfully)
        {
            return AnswerDenialsAsync(response, gate.AsTask());
        }

        if (gate.Result is { } denials)
        {
            response.Messages.Add(denials);
        }

        return responseTask;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Every local of an iterator lives in its object, one per request: the work between the yields is in methods of its own.
        EnsurePipelineOrder();
        GateInputChecks.EnsureToolsProtected(Approvals.RequireProtectedTools, options);
        messages = messages is IReadOnlyCollection<ChatMessage> ? messages : [.. messages];
        GateInputChecks.ThrowIfApprovalResponseRefused(messages, Approvals.Refusals);
        List<ChatResponseUpdate>? passed = null;
        List<ChatResponseUpdate>? held = null;
        await foreach (ChatResponseUpdate update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            if (held is null && !FunctionCalls.Any(update.Contents))
            {
                // Kept in case a call comes later (a held approval holds the whole response).
                (passed ??= PassedUpdateLists.Rent()).Add(PassThrough(update));
                yield return update;
                continue;
            }

            // From the first function call on, hold everything until the policies have decided.
            (held ??= []).Add(update);
        }

        if (held is null)
        {
            // No call: nobody else saw the list, so the next response may use it.
            PassedUpdateLists.Return(passed);
            yield break;
        }

        ChatMessage? denials = await DecideStreamedAsync(messages, passed, held, options, cancellationToken);
        for (int i = 0; i < held.Count; i++)
        {
            yield return held[i];
        }

        if (denials is not null)
        {
            yield return new ChatResponseUpdate(ChatRole.Tool, [.. denials.Contents]) { MessageId = denials.MessageId };
        }
    }

    /// <summary>Strips what could carry a call from an update that passes before the policies decided.</summary>
    private static ChatResponseUpdate PassThrough(ChatResponseUpdate update)
    {
        // Providers put partial tool calls in the raw chunk (OpenAI's ToolCallUpdates) before the parsed call appears:
        // nothing of a call may reach the caller before the policies decide, so raw chunks do not pass this point.
        update.RawRepresentation = null;
        IList<AIContent> contents = update.Contents;
        for (int i = 0; i < contents.Count; i++)
        {
            contents[i].RawRepresentation = null; // an index loop: no boxed enumerator per update
        }

        return update;
    }

    /// <summary>Decides on the calls of a streamed response: all of them are in the held part (its first update has the first call).</summary>
    private ValueTask<ChatMessage?> DecideStreamedAsync(
        IEnumerable<ChatMessage> input, List<ChatResponseUpdate>? passed, List<ChatResponseUpdate> held, ChatOptions? options, CancellationToken cancellationToken)
    {
        // The response's messages are built from the updates only if a policy reads the history or the batch is held.
        FunctionCallContent[] calls = FunctionCalls.Collect(held);
        IReadOnlyList<ChatMessage> history = input is IReadOnlyList<ChatMessage> prefix
            ? new ConcatenatedStreamedMessages(prefix, passed, held)
            : [.. input, .. ConcatenatedMessages.ToMessages(passed, held)];
        return DecideAsync(calls, history, options, cancellationToken);
    }

    private async Task<ChatResponse> GateResponseAsync(Task<ChatResponse> responseTask, IEnumerable<ChatMessage> input, ChatOptions? options, CancellationToken cancellationToken)
    {
        ChatResponse response = await responseTask;
        if (FunctionCalls.Any(response.Messages) && await GateAsync(input, response.Messages, options, cancellationToken) is { } denials)
        {
            response.Messages.Add(denials);
        }

        return response;
    }

    private static async Task<ChatResponse> AnswerDenialsAsync(ChatResponse response, Task<ChatMessage?> gate)
    {
        if (await gate is { } denials)
        {
            response.Messages.Add(denials);
        }

        return response;
    }

    /// <summary>
    /// Decides on every call of one response. Throws <see cref="PendingApprovalException"/> when any needs a person;
    /// otherwise marks denied calls as handled and returns the message answering them (or <see langword="null"/>).
    /// </summary>
    private ValueTask<ChatMessage?> GateAsync(
        IEnumerable<ChatMessage> input, IList<ChatMessage> responseMessages, ChatOptions? options, CancellationToken cancellationToken)
    {
        FunctionCallContent[] calls = FunctionCalls.Collect(responseMessages);
        if (calls.Length == 0)
        {
            return default;
        }

        IReadOnlyList<ChatMessage> history = input is IReadOnlyList<ChatMessage> prefix
            ? new ConcatenatedMessages(prefix, responseMessages)
            : [.. input, .. responseMessages];
        return DecideAsync(calls, history, options, cancellationToken);
    }

    /// <summary>Decides on the calls of one response; <paramref name="history"/> is the request's messages and the response's.</summary>
    private async ValueTask<ChatMessage?> DecideAsync(
        FunctionCallContent[] calls, IReadOnlyList<ChatMessage> history, ChatOptions? options, CancellationToken cancellationToken)
    {
        CallerContext context = options.GetCallerContext();
        var evaluations = new PolicyEvaluationContext[calls.Length];
        for (int i = 0; i < calls.Length; i++)
        {
            evaluations[i] = new PolicyEvaluationContext(
                calls[i].Name, calls[i].CallId, calls[i].Arguments, null, context, history, GateProtectedFunction.IsMarkedApprovalRequired(options, calls[i]));
        }

        BatchJudgement judgement = await Approvals.Judge.JudgeAsync(evaluations, cancellationToken);
        GateLog.Judged(_logger, evaluations, judgement);
        await RetryGuard.StopIfLimitReachedAsync(evaluations, judgement, Approvals.Recorder, cancellationToken);
        if (judgement.Hold)
        {
            PendingApproval approval = await Approvals.Holder.HoldAsync(history, evaluations, judgement, context, ApprovalOrigin.ToolCalls, cancellationToken);
            throw new PendingApprovalException(approval);
        }

        if (Approvals.Recorder is { } recorder)
        {
            await recorder.RecordAsync(evaluations, judgement, cancellationToken);
        }

        PolicyVerdict[] decisions = judgement.Verdicts;
        bool deny = judgement.Deny;

        for (int i = 0; i < calls.Length; i++)
        {
            if (decisions[i].Kind == PolicyVerdictKind.Allow && GateProtectedFunction.NeedsVerdict(options, calls[i]))
            {
                GateProtectedFunction.Allow(calls[i]);
            }
        }

        if (!deny)
        {
            return null;
        }

        List<AIContent>? answers = null;
        for (int i = 0; i < calls.Length; i++)
        {
            if (decisions[i].Kind != PolicyVerdictKind.Deny)
            {
                continue;
            }

            string denial = judgement.RepeatOf(i)?.Answer ?? $"This tool call was denied by policy and was not run. Do not retry it. Reason: {decisions[i].Reason}";
            if (GateProtectedFunction.IsProtectedIn(options, calls[i]))
            {
                // The protected tool answers with the denial instead of running, so function invocation sends the model the
                // denial and asks it again, as for any other result (also when every call of the response is denied).
                GateProtectedFunction.Deny(calls[i], denial);
            }
            else
            {
                // No protected tool to answer through (RequireProtectedTools is off): function invocation skips informational
                // calls, and the message below answers this one for the provider.
                calls[i].InformationalOnly = true;
                (answers ??= []).Add(new FunctionResultContent(calls[i].CallId, denial));
            }
        }

        return answers is null ? null : new ChatMessage(ChatRole.Tool, answers);
    }

    private void EnsurePipelineOrder()
    {
        if (_pipelineChecked)
        {
            return;
        }

        if (InnerClient.GetService(typeof(FunctionInvokingChatClient)) is not null)
        {
            throw new InvalidOperationException(
                "The approval gate sits outside FunctionInvokingChatClient, so tool calls would run without ever being checked. " +
                "Put function invocation first and the gate after it, so the gate sits between function invocation and the model: " +
                "new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals).Build().");
        }

        _pipelineChecked = true;
    }
}
