using System.Collections.Frozen;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The console's page, scripts and styles, embedded in the assembly (nothing is fetched from elsewhere). Thread-safe.</summary>
internal sealed class ConsoleAssets
{
    private const string ResourcePrefix = "HumanInLoop.Console/";

    private static readonly FrozenDictionary<string, (byte[] Content, string ContentType)> Files = Load();
    private readonly string _indexTemplate;

    public ConsoleAssets(string title)
    {
        _indexTemplate = Encoding.UTF8.GetString(Files["index.html"].Content).Replace("{{title}}", WebUtility.HtmlEncode(title), StringComparison.Ordinal);
    }

    /// <summary>The page; the console's own base path is written into it, so it works under any prefix and path base.</summary>
    public IResult Index(HttpContext http)
    {
        string path = (http.Request.PathBase + http.Request.Path).Value ?? "";
        string basePath = path.TrimEnd('/');
        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Content(_indexTemplate.Replace("{{base}}", WebUtility.HtmlEncode(basePath), StringComparison.Ordinal), "text/html; charset=utf-8");
    }

    /// <summary>One asset by its file name; only the embedded names exist (no path reaches the file system).</summary>
    public static IResult Asset(HttpContext http, string name)
    {
        if (string.Equals(name, "index.html", StringComparison.Ordinal) || !Files.TryGetValue(name, out (byte[] Content, string ContentType) file))
        {
            return TypedResults.NotFound();
        }

        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(file.Content, file.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        Dictionary<string, (byte[], string)> files = new(StringComparer.Ordinal);
        System.Reflection.Assembly assembly = typeof(ConsoleAssets).Assembly;
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using MemoryStream copy = new();
            stream.CopyTo(copy);
            string name = resource[ResourcePrefix.Length..];
            string type = Path.GetExtension(name) switch
            {
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "text/html; charset=utf-8",
            };
            files[name] = (copy.ToArray(), type);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
