namespace HumanInLoop.Rules;

/// <summary>A rule set is refused: it does not parse, does not type-check against the tools, or does not match its pin.</summary>
/// <remarks>The message lists every problem, each starting with the configuration path it concerns (such as <c>Rules:big-transfers:When</c>).</remarks>
public sealed class ApprovalRulesException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalRulesException"/> class.</summary>
    /// <param name="problems">Every problem found, each starting with its configuration path.</param>
    public ApprovalRulesException(IEnumerable<string> problems)
        : this([.. problems ?? throw new ArgumentNullException(nameof(problems))])
    {
    }

    private ApprovalRulesException(string[] problems)
        : base($"The approval rules are refused: {string.Join(" ", problems)}")
    {
        Problems = problems;
    }

    /// <summary>Gets every problem found, each starting with its configuration path.</summary>
    public IReadOnlyList<string> Problems { get; }
}
