namespace HumanInLoop.AspNetCore.Internal;

/// <summary>An anti-forgery request token for the signed-in user; the matching cookie is set on the same response.</summary>
/// <param name="Token">The request token.</param>
/// <param name="HeaderName">The header to send it in with a JSON <c>POST</c>.</param>
/// <param name="FormFieldName">The form field to send it in with a form <c>POST</c>.</param>
internal sealed record AntiforgeryTokenResult(string Token, string? HeaderName, string FormFieldName);
