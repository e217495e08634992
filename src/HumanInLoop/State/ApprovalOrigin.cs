namespace HumanInLoop;

/// <summary>Where the held calls came from, which decides how the approval is resumed.</summary>
public enum ApprovalOrigin
{
    /// <summary>Function calls of a model response, held by the approval gate; resume with <see cref="ApprovalService.ResumeAsync"/>.</summary>
    ToolCalls = 0,

    /// <summary>Actions of a typed plan, held by <see cref="ApprovalService.RunPlanAsync"/>; resume with <see cref="ApprovalService.ResumePlanAsync"/>.</summary>
    ActionPlan = 1,
}
