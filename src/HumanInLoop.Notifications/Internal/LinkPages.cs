using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace HumanInLoop.Notifications.Internal;

/// <summary>The small HTML pages of the link flow. Everything shown is HTML-encoded; the pages load nothing and cannot be framed.</summary>
internal static class LinkPages
{
    public static IResult Review(PendingApproval approval, PendingToolCall call, string decision, string formFieldName, string requestToken)
    {
        bool approve = decision == LinkDecision.Approve;
        StringBuilder body = new();
        body.Append("<h1>").Append(approve ? "Approve this call?" : "Reject this call?").Append("</h1>");
        body.Append("<p>Nothing has been decided yet. Check the call, then confirm below.</p>");
        body.Append("<table>");
        Row(body, "Tool", call.ToolName);
        Row(body, "Call", call.CallId);
        if (!string.IsNullOrWhiteSpace(call.PolicyReason))
        {
            Row(body, "Why you are asked", call.PolicyReason);
        }

        Row(body, "Decide before", ApprovalText.Time(approval.ExpiresAt));
        Row(body, "Approval", approval.Id);
        body.Append("</table>");
        body.Append("<h2>Arguments</h2><pre>").Append(Encode(ApprovalText.Arguments(call.Arguments, 8000))).Append("</pre>");
        body.Append("<form method=\"post\">");
        body.Append("<input type=\"hidden\" name=\"").Append(Encode(formFieldName)).Append("\" value=\"").Append(Encode(requestToken)).Append("\">");
        body.Append("<p><label>").Append(approve ? "Comment (optional)" : "Reason (sent to the assistant)").Append("<br>");
        body.Append("<textarea name=\"reason\" rows=\"3\" cols=\"60\" maxlength=\"1000\"></textarea></label></p>");
        body.Append("<p><button type=\"submit\" name=\"confirm\" value=\"").Append(decision).Append("\">")
            .Append(approve ? "Approve" : "Reject").Append("</button></p>");
        body.Append("</form>");
        body.Append("<p style=\"color:#666\">").Append(Encode(ApprovalText.RespondInInbox)).Append("</p>");
        return Page(StatusCodes.Status200OK, approve ? "Approve?" : "Reject?", body.ToString());
    }

    public static IResult Message(int status, string title, string text) =>
        Page(status, title, $"<h1>{Encode(title)}</h1><p>{Encode(text)}</p>");

    private static void Row(StringBuilder body, string name, string value) =>
        body.Append("<tr><th style=\"text-align:left;padding-right:1em\">").Append(Encode(name)).Append("</th><td>").Append(Encode(value)).Append("</td></tr>");

    private static PageResult Page(int status, string title, string body) => new PageResult(status,
        $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\"><title>{Encode(title)}</title></head>" +
        $"<body style=\"font-family:sans-serif;max-width:50em;margin:2em auto\">{body}</body></html>");

    private static string Encode(string text) => WebUtility.HtmlEncode(ApprovalText.Visible(text));

    /// <summary>HTML with headers that keep the token out of caches, referrers and frames.</summary>
    private sealed class PageResult(int status, string html) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            HttpResponse response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "text/html; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            response.Headers["Referrer-Policy"] = "no-referrer";
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers.XFrameOptions = "DENY";
            response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            return response.WriteAsync(html, httpContext.RequestAborted);
        }
    }
}
