using System.Security.Cryptography;

namespace HumanInLoop.Internal;

/// <summary>Unguessable, URL-safe ids for approvals and claims.</summary>
internal static class ApprovalIds
{
    private const int EncodedLength = 22; // 16 bytes in base64url, without the two padding characters
    private const int RandomBytes = 16;
    private const int BufferedIds = 32;

    // Random bytes for the next ids of this thread: one call to the system's generator per 32 ids instead of one per id (on Linux
    // each is a getrandom system call, about a microsecond, and the gate makes an id for every call it records). Still the
    // cryptographic generator; each id's bytes are cleared from the buffer once encoded.
    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_next;

    /// <summary>Makes an id of 128 random bits after <paramref name="prefix"/> (<c>apr_</c>, <c>claim_</c>).</summary>
    public static string New(string prefix)
    {
        // Written on the stack and copied into the id once: the gate makes one for every call it records.
        byte[]? random = t_random;
        if (random is null || t_next == random.Length)
        {
            random = t_random ??= new byte[RandomBytes * BufferedIds];
            RandomNumberGenerator.Fill(random);
            t_next = 0;
        }

        Span<byte> bytes = random.AsSpan(t_next, RandomBytes);
        t_next += RandomBytes;
        Span<char> id = stackalloc char[prefix.Length + EncodedLength + 2];
        prefix.AsSpan().CopyTo(id);
        Span<char> encoded = id[prefix.Length..];
        Convert.TryToBase64Chars(bytes, encoded, out _);
        bytes.Clear();
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
