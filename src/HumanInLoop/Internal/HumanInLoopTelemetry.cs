using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HumanInLoop.Internal;

/// <summary>The one <see cref="ActivitySource"/> and one <see cref="Meter"/> named <c>HumanInLoop</c>, and their instruments.</summary>
internal sealed class HumanInLoopTelemetry
{
    public const string Name = "HumanInLoop";

    public const string ApprovalsRequested = "humaninloop.approvals.requested";
    public const string CallsDecided = "humaninloop.calls.decided";
    public const string ApprovalsExpired = "humaninloop.approvals.expired";
    public const string Resumes = "humaninloop.resumes";
    public const string DecisionDuration = "humaninloop.decision.duration";
    public const string ApprovalResponsesRefused = "humaninloop.approval_responses.refused";

    public const string ApprovalIdTag = "humaninloop.approval.id";
    public const string OriginTag = "humaninloop.origin";
    public const string DecisionTag = "humaninloop.decision";
    public const string OutcomeTag = "humaninloop.outcome";
    public const string CallCountTag = "humaninloop.call.count";
    public const string ToolTag = "humaninloop.tool.name";
    public const string RefusalTag = "humaninloop.refusal";

    public static readonly ActivitySource ActivitySource = new(Name);

    private static readonly Lazy<HumanInLoopTelemetry> s_shared = new(() => new HumanInLoopTelemetry(new Meter(Name)));

    private HumanInLoopTelemetry(Meter meter)
    {
        Requested = meter.CreateCounter<long>(ApprovalsRequested, "{approval}", "Approvals created because a call needed a person's decision.");
        Decided = meter.CreateCounter<long>(CallsDecided, "{call}", "Calls decided, by outcome (auto_allowed, denied, approved, approved_with_edits, rejected).");
        Expired = meter.CreateCounter<long>(ApprovalsExpired, "{approval}", "Approvals that reached their deadline undecided.");
        ResumeCount = meter.CreateCounter<long>(Resumes, "{resume}", "Resumes, by outcome (completed, paused_again, conflict, released, in_doubt, refused).");
        RefusedResponses = meter.CreateCounter<long>(
            ApprovalResponsesRefused, "{response}", "Approval responses that answer no waiting call, by refusal (forged, never_pending, in_chat_input): security events.");
        TimeToDecision = meter.CreateHistogram<double>(DecisionDuration, "s", "Time from an approval's creation to a person's decision on one of its calls.");
    }

    public Counter<long> Requested { get; }

    public Counter<long> Decided { get; }

    public Counter<long> Expired { get; }

    public Counter<long> ResumeCount { get; }

    public Histogram<double> TimeToDecision { get; }

    public Counter<long> RefusedResponses { get; }

    public static HumanInLoopTelemetry Create(IMeterFactory? meterFactory) =>
        meterFactory is null ? s_shared.Value : new HumanInLoopTelemetry(meterFactory.Create(Name));

    public static string DecisionName(CallDecisionStatus decision, bool edited) => decision switch
    {
        CallDecisionStatus.AutoAllowed => "auto_allowed",
        CallDecisionStatus.Denied => "denied",
        CallDecisionStatus.Approved when edited => "approved_with_edits",
        CallDecisionStatus.Approved => "approved",
        CallDecisionStatus.Rejected => "rejected",
        CallDecisionStatus.Responded => "responded",
        CallDecisionStatus.Expired => "expired",
        _ => "awaiting_approval",
    };
}
