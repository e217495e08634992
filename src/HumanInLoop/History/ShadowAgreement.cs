namespace HumanInLoop;

/// <summary>How the shadow policies' verdicts compared with the active ones on the calls where both ran.</summary>
public sealed record ShadowAgreement
{
    /// <summary>Gets how many calls carry a shadow verdict.</summary>
    public long Compared { get; init; }

    /// <summary>Gets how many of them the shadow policies judged as the active ones did (same kind of verdict).</summary>
    public long Agreed { get; init; }

    /// <summary>Gets how many shadow evaluations threw.</summary>
    public long Errors { get; init; }

    /// <summary>Gets the share of compared calls that agreed, from 0 to 1; 0 when none were compared.</summary>
    public double AgreementRate => Compared == 0 ? 0 : (double)Agreed / Compared;

    /// <summary>Gets the disagreements by pair of verdicts, keyed <c>"active → shadow"</c> (for example <c>"RequireApproval → Allow"</c>).</summary>
    public IReadOnlyDictionary<string, long> Disagreements { get; init; } = new Dictionary<string, long>();
}
