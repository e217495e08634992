using System.Net;
using System.Text.RegularExpressions;

namespace HumanInLoop.Notifications.Tests.Infrastructure;

/// <summary>What a person's browser does with a link: GET it (keeping cookies), then submit the page's form.</summary>
public sealed partial class Browser : IDisposable
{
    private readonly HttpClient _client = new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false });

    public async Task<(HttpStatusCode Status, string Html)> OpenAsync(Uri link)
    {
        using HttpResponseMessage response = await _client.GetAsync(link);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Submits the page's form to <paramref name="action"/> as the button would: its hidden fields, the reason, and the button's value.</summary>
    public async Task<(HttpStatusCode Status, string Html)> SubmitAsync(Uri action, string page, string? reason = null, string? confirmOverride = null)
    {
        Dictionary<string, string> fields = [];
        foreach (Match hidden in HiddenInput().Matches(page))
        {
            fields[WebUtility.HtmlDecode(hidden.Groups[1].Value)] = WebUtility.HtmlDecode(hidden.Groups[2].Value);
        }

        Match button = SubmitButton().Match(page);
        fields["confirm"] = confirmOverride ?? button.Groups[1].Value;
        fields["reason"] = reason ?? "";
        return await PostAsync(action, fields);
    }

    public async Task<(HttpStatusCode Status, string Html)> PostAsync(Uri action, Dictionary<string, string> fields)
    {
        using FormUrlEncodedContent content = new(fields);
        using HttpResponseMessage response = await _client.PostAsync(action, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sends a request of any shape with this browser's cookies (as a hostile page in the same browser could).</summary>
    public async Task<HttpStatusCode> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _client.SendAsync(request, cancellationToken);
        return response.StatusCode;
    }

    public void Dispose() => _client.Dispose();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("<button type=\"submit\" name=\"confirm\" value=\"([^\"]+)\">")]
    private static partial Regex SubmitButton();
}
