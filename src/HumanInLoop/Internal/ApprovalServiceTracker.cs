namespace HumanInLoop.Internal;

/// <summary>Holds the <see cref="ApprovalService"/> the container built, once it has built one.</summary>
internal sealed class ApprovalServiceTracker
{
    public ApprovalService? Service { get; set; }
}
