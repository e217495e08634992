using System.Security.Cryptography;

namespace HumanInLoop.Internal;

/// <summary>Unguessable, URL-safe ids for approvals and claims.</summary>
internal static class ApprovalIds
{
    /// <summary>Makes an id of 128 random bits after <paramref name="prefix"/> (<c>apr_</c>, <c>claim_</c>).</summary>
    public static string New(string prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
