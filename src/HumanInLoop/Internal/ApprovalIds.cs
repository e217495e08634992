using System.Security.Cryptography;

namespace HumanInLoop.Internal;

/// <summary>Unguessable, URL-safe ids for approvals and claims.</summary>
internal static class ApprovalIds
{
    private const int EncodedLength = 22; // 16 bytes in base64url, without the two padding characters

    /// <summary>Makes an id of 128 random bits after <paramref name="prefix"/> (<c>apr_</c>, <c>claim_</c>).</summary>
    public static string New(string prefix)
    {
        // Written on the stack and copied into the id once: the gate makes one for every call it records.
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        Span<char> id = stackalloc char[prefix.Length + EncodedLength + 2];
        prefix.AsSpan().CopyTo(id);
        Span<char> encoded = id[prefix.Length..];
        Convert.TryToBase64Chars(bytes, encoded, out _);
        for (int i = 0; i < EncodedLength; i++)
        {
            encoded[i] = encoded[i] switch
            {
                '+' => '-',
                '/' => '_',
                char c => c,
            };
        }

        return new string(id[..(prefix.Length + EncodedLength)]);
    }
}
