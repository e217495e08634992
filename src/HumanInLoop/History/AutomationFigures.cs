namespace HumanInLoop;

/// <summary>What became of a group of recorded calls (all of them, one tool's, or one policy's), counted from the stored records.</summary>
public sealed record AutomationFigures
{
    /// <summary>Gets how many calls the gate saw.</summary>
    public long Seen { get; init; }

    /// <summary>Gets how many the policies allowed at once.</summary>
    public long Allowed { get; init; }

    /// <summary>Gets how many the policies denied.</summary>
    public long Denied { get; init; }

    /// <summary>Gets how many the policies sent to a person but a standing grant allowed.</summary>
    public long AllowedByGrant { get; init; }

    /// <summary>
    /// Gets how many repeated a call a person had rejected earlier in the conversation and were answered with that rejection by the
    /// retry-loop guard, without asking again (<see cref="CallOutcome.RejectedAsRepeat"/>).
    /// </summary>
    public long RejectedAsRepeat { get; init; }

    /// <summary>Gets how many such repeats reached <see cref="ApprovalOptions.RejectedRepeatLimit"/> and stopped their conversation (<see cref="CallOutcome.RepeatLimitReached"/>).</summary>
    public long RepeatLimitReached { get; init; }

    /// <summary>Gets how many went to a person: <see cref="Awaiting"/> + <see cref="Approved"/> + <see cref="Edited"/> + <see cref="Rejected"/> + <see cref="Responded"/> + <see cref="Expired"/> + <see cref="Cancelled"/>.</summary>
    public long SentToPerson => Awaiting + Approved + Edited + Rejected + Responded + Expired + Cancelled;

    /// <summary>Gets how many still wait for a person.</summary>
    public long Awaiting { get; init; }

    /// <summary>Gets how many a person approved as proposed.</summary>
    public long Approved { get; init; }

    /// <summary>Gets how many a person approved with edited arguments.</summary>
    public long Edited { get; init; }

    /// <summary>Gets how many a person rejected.</summary>
    public long Rejected { get; init; }

    /// <summary>Gets how many a person answered in place of the tool (the tool never ran).</summary>
    public long Responded { get; init; }

    /// <summary>Gets how many expired undecided.</summary>
    public long Expired { get; init; }

    /// <summary>Gets how many were withdrawn undecided.</summary>
    public long Cancelled { get; init; }

    /// <summary>
    /// Gets the share of calls decided without asking a person (allowed, denied, allowed by a grant, or answered with an earlier
    /// rejection), from 0 to 1; 0 when none were seen.
    /// </summary>
    public double AutomationRate => Seen == 0 ? 0 : (double)(Allowed + Denied + AllowedByGrant + RejectedAsRepeat + RepeatLimitReached) / Seen;

    /// <summary>Gets the median time from a call being held to a person's decision, or <see langword="null"/> when nobody decided any.</summary>
    public TimeSpan? MedianTimeToDecision { get; init; }

    /// <summary>Gets the 90th percentile of the time to a person's decision, or <see langword="null"/> when nobody decided any.</summary>
    public TimeSpan? P90TimeToDecision { get; init; }
}
