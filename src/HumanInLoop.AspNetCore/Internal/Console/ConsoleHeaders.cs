using Microsoft.AspNetCore.Http;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The headers of every console response: a strict Content-Security-Policy, no sniffing, no framing, no referrer, no caching.</summary>
internal static class ConsoleHeaders
{
    /// <summary>Only this origin's own scripts, styles and connections; no inline script or style, no plugins, never in a frame.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static ValueTask<object?> AddAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        IHeaderDictionary headers = context.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";

        // Data shows arguments and conversations: never kept by the browser or a proxy. Assets relax it to no-cache.
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        return next(context);
    }
}
