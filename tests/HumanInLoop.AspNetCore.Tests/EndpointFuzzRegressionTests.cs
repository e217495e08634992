using System.Net;
using System.Text;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>The inputs the endpoint fuzz (<see cref="EndpointFuzzTests"/>) found answered with a 500, each now a 4xx that decides nothing.</summary>
public sealed class EndpointFuzzRegressionTests
{
    [Fact]
    public async Task Decide_JsonInACharsetNoEncodingReads_Returns415AndDecidesNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        string body = $$"""{"decision":"approve","fingerprint":"{{approval.Calls[0].Fingerprint}}"}""";

        using HttpResponseMessage response = await SendAsync(alice, $"/approvals/{approval.Id}/calls/c-tr/decision", "application/json; charset=bogus", Encoding.UTF8.GetBytes(body));

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "media-type");
        await EndpointAttackTests.AssertUntouchedAsync(host, approval);
    }

    /// <summary>A respond result nested 63 deep was accepted, then the stored approval (which nests it further) could not be written: a 500.</summary>
    [Fact]
    public async Task Respond_ResultNestedTooDeeply_Returns400AndDecidesNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        string nested = new string('[', 62) + new string(']', 62);
        string body = "{\"decision\":\"respond\",\"fingerprint\":\"" + approval.Calls[0].Fingerprint + "\",\"result\":{\"status\":" + nested + "}}";

        using HttpResponseMessage response = await SendAsync(alice, $"/approvals/{approval.Id}/calls/c-tr/decision", "application/json", Encoding.UTF8.GetBytes(body));

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        await EndpointAttackTests.AssertUntouchedAsync(host, approval);
    }

    [Fact]
    public async Task Revoke_JsonInACharsetNoEncodingReads_Returns415()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await SendAsync(alice, $"/approvals/grants/{Guid.NewGuid():N}/revoke", "application/json; charset=bogus", """{"reason":"done"}"""u8.ToArray());

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "media-type");
    }

    [Theory]
    [InlineData("decision")]
    [InlineData("revoke")]
    public async Task Post_MultipartBodyCutShort_Returns400AndDecidesNothing(string endpoint)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        using MultipartFormDataContent form = new("cut-here") { { new StringContent("approve"), "decision" }, { new StringContent(approval.Calls[0].Fingerprint), "fingerprint" } };
        byte[] whole = await form.ReadAsByteArrayAsync();
        string path = endpoint == "decision" ? $"/approvals/{approval.Id}/calls/c-tr/decision" : $"/approvals/grants/{Guid.NewGuid():N}/revoke";

        using HttpResponseMessage response = await SendAsync(alice, path, "multipart/form-data; boundary=cut-here", whole[..(whole.Length - 20)]);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        await EndpointAttackTests.AssertUntouchedAsync(host, approval);
    }

    /// <summary>Without the token header, anti-forgery looks for the token in the form; a form it cannot read has none: 400.</summary>
    [Theory]
    [InlineData("multipart/form-data")]
    [InlineData("multipart/form-data; boundary=cut-here")]
    public async Task Decide_UnreadableFormWithoutTheTokenHeader_Returns400AndDecidesNothing(string contentType)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        await alice.TokenAsync(); // the cookie, as a browser has it

        using HttpResponseMessage response = await SendAsync(alice, $"/approvals/{approval.Id}/calls/c-tr/decision", contentType, "--cut-here\r\nContent-Disposition: form-da"u8.ToArray(), withToken: false);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "antiforgery");
        await EndpointAttackTests.AssertUntouchedAsync(host, approval);
    }

    /// <summary>A blank id in the route reached the service, which throws ArgumentException for it: a 500. Now the 404 of any unknown id.</summary>
    [Theory]
    [InlineData("GET", "/approvals/%20")]
    [InlineData("GET", "/approvals/grants/%20")]
    [InlineData("POST", "/approvals/%20/calls/c-tr/decision")]
    [InlineData("POST", "/approvals/%20/resume")]
    [InlineData("POST", "/approvals/grants/%20/revoke")]
    public async Task BlankIdInTheRoute_Returns404LikeAnUnknownId(string method, string path)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        string body = $$"""{"decision":"approve","fingerprint":"{{approval.Calls[0].Fingerprint}}","reason":"r"}""";

        using HttpResponseMessage response = method == "GET"
            ? await alice.Http.GetAsync(path)
            : await SendAsync(alice, path, "application/json", Encoding.UTF8.GetBytes(body));

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
        await EndpointAttackTests.AssertUntouchedAsync(host, approval);
    }

    private static async Task<HttpResponseMessage> SendAsync(TestUser user, string path, string contentType, byte[] body, bool withToken = true)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (withToken)
        {
            request.Headers.Add(user.HeaderName, await user.TokenAsync());
        }

        return await user.Http.SendAsync(request);
    }
}
