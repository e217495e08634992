namespace HumanInLoop.Internal;

/// <summary>
/// Repeats of a rejection whose approval a resume in this process has claimed: the model, told of the rejection, proposes the call
/// again while the resume waits for its answer. The guard must not write to a claimed approval (the compare-and-swap would take
/// the claim from under the resume), so these repeats are counted here and recorded in the approval by the resume's last save
/// (<see cref="End"/>, when it completes or gives its claim back).
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class ResumingRepeats
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<Note>> _claimed = new(StringComparer.Ordinal);

    /// <summary>Starts counting for a resume that claimed <paramref name="approvalId"/> and is about to ask the model.</summary>
    public void Begin(string approvalId) => _claimed[approvalId] = [];

    /// <summary>Counts one repeat of a rejected call of an approval this process is resuming; <see langword="false"/> when it is not resuming it.</summary>
    /// <param name="approvalId">The approval that holds the rejection.</param>
    /// <param name="rejected">The rejected call, as stored when the resume claimed it.</param>
    /// <param name="repeat">The repeat.</param>
    /// <param name="count">Which repeat it is, counting those stored and those counted here.</param>
    public bool TryCount(string approvalId, PendingToolCall rejected, PolicyEvaluationContext repeat, out int count)
    {
        count = 0;
        if (!_claimed.TryGetValue(approvalId, out List<Note>? notes))
        {
            return false;
        }

        lock (notes)
        {
            count = rejected.Repeats + 1 + notes.Count(n => n.CallId == rejected.CallId);
            notes.Add(new Note(rejected.CallId, repeat.CallId, repeat.Arguments));
        }

        return true;
    }

    /// <summary>Stops counting for the approval and records what was counted in it, to be saved with the resume's last change.</summary>
    public void End(PendingApproval approval, ApprovalRecords records, int limit)
    {
        if (!_claimed.TryRemove(approval.Id, out List<Note>? notes))
        {
            return;
        }

        lock (notes)
        {
            foreach (Note note in notes)
            {
                if (approval.FindCall(note.CallId) is { } rejected)
                {
                    RetryGuard.Count(records, approval, rejected, note.RepeatCallId, note.Arguments, limit);
                }
            }
        }
    }

    /// <summary>Stops counting without recording (the resume ended without a save of its own).</summary>
    public void Discard(string approvalId) => _claimed.TryRemove(approvalId, out _);

    private sealed record Note(string CallId, string RepeatCallId, System.Text.Json.JsonElement Arguments);
}
