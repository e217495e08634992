using Microsoft.AspNetCore.Http;

namespace HumanInLoop.AspNetCore;

/// <summary>What <see cref="ApprovalEndpointOptions.ResumeTarget"/> is given: the request and the approval about to be resumed.</summary>
/// <remarks>Read-only; a new instance per request.</remarks>
public sealed class ApprovalResumeArguments
{
    internal ApprovalResumeArguments(HttpContext httpContext, PendingApproval approval)
    {
        HttpContext = httpContext;
        Approval = approval;
    }

    /// <summary>Gets the HTTP request (its services, user and cancellation).</summary>
    public HttpContext HttpContext { get; }

    /// <summary>Gets the approval as read before the resume (its context names the conversation and the requester).</summary>
    public PendingApproval Approval { get; }
}
