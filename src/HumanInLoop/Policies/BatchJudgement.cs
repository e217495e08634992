namespace HumanInLoop.Internal;

/// <summary>What the judge said about one batch of calls: the verdict to act on for each, and what to record about it.</summary>
internal sealed class BatchJudgement(int count)
{
    /// <summary>Gets the verdict to act on, per call: a call a grant covers is <see cref="PolicyVerdict.Allow"/> here.</summary>
    public PolicyVerdict[] Verdicts { get; } = new PolicyVerdict[count];

    /// <summary>Gets what the active policies said, per call, as recorded (before any grant).</summary>
    public RecordedVerdict[] Recorded { get; } = new RecordedVerdict[count];

    /// <summary>Gets the grant that allowed each call, or <see langword="null"/> when no grant allowed any.</summary>
    public ApprovalGrant?[]? Grants { get; set; }

    /// <summary>Gets the shadow policies' verdict per call, or <see langword="null"/> when there are no shadow policies.</summary>
    public RecordedVerdict[]? Shadow { get; set; }

    /// <summary>Gets the earlier rejection each call repeated, or <see langword="null"/> when no call repeated one (<see cref="RetryGuard"/>).</summary>
    public EarlierRejection?[]? Repeats { get; set; }

    /// <summary>Gets the stop to throw when a repeat reached the retry-loop guard's limit, or <see langword="null"/>.</summary>
    public RejectedCallRepeatedException? Stop { get; set; }

    /// <summary>Gets whether any call needs a person.</summary>
    public bool Hold { get; set; }

    /// <summary>Gets whether any call was denied.</summary>
    public bool Deny { get; set; }

    /// <summary>Gets whether a policy marked the batch all or nothing (<see cref="PolicyVerdict.AllOrNothingBatch"/>).</summary>
    public bool AllOrNothing { get; set; }

    public ApprovalGrant? GrantOf(int index) => Grants?[index];

    public RecordedVerdict? ShadowOf(int index) => Shadow?[index];

    public EarlierRejection? RepeatOf(int index) => Repeats?[index];

    /// <summary>The positions of the calls that repeated a rejection.</summary>
    public int[] RepeatIndices() => Repeats is null ? [] : [.. Enumerable.Range(0, Repeats.Length).Where(i => Repeats[i] is not null)];

    /// <summary>Makes the judgement of a part of the batch.</summary>
    public BatchJudgement Select(IReadOnlyList<int> indices)
    {
        BatchJudgement part = new(indices.Count) { AllOrNothing = AllOrNothing };
        for (int j = 0; j < indices.Count; j++)
        {
            int i = indices[j];
            part.Verdicts[j] = Verdicts[i];
            part.Recorded[j] = Recorded[i];
            if (GrantOf(i) is { } grant)
            {
                (part.Grants ??= new ApprovalGrant?[indices.Count])[j] = grant;
            }

            if (RepeatOf(i) is { } repeat)
            {
                (part.Repeats ??= new EarlierRejection?[indices.Count])[j] = repeat;
            }

            if (Shadow is not null)
            {
                (part.Shadow ??= new RecordedVerdict[indices.Count])[j] = Shadow[i];
            }

            part.Hold |= Verdicts[i].Kind == PolicyVerdictKind.RequireApproval;
            part.Deny |= Verdicts[i].Kind == PolicyVerdictKind.Deny;
        }

        return part;
    }
}
