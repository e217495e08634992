#if !NET10_0_OR_GREATER
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// On ASP.NET Core 8 and 9, what ASP.NET Core 10's <c>TypedResults.ServerSentEvents(...)</c> does for the resume endpoint:
/// the same headers, no response buffering, each event's data as JSON with the host's <see cref="JsonOptions"/>, written
/// and flushed one by one through <see cref="SseFormatter"/>. Stateless; one instance per response.
/// </summary>
internal sealed class ServerSentEventsStreamResult(IAsyncEnumerable<SseItem<ChatSseEvent>> events) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.ContentType = "text/event-stream";
        httpContext.Response.Headers.CacheControl = "no-cache,no-store";
        httpContext.Response.Headers.Pragma = "no-cache";
        httpContext.Response.Headers.ContentEncoding = "identity";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        JsonSerializerOptions json = (httpContext.RequestServices.GetService<IOptions<JsonOptions>>()?.Value ?? new JsonOptions()).SerializerOptions;
        return SseFormatter.WriteAsync(events, httpContext.Response.Body, (item, writer) =>
        {
            using Utf8JsonWriter data = new(writer);
            JsonSerializer.Serialize(data, item.Data, json);
        }, httpContext.RequestAborted);
    }
}
#endif
