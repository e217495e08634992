#if !NET9_0_OR_GREATER
namespace System;

/// <summary>.NET 9's <c>Convert.ToHexStringLower</c> on .NET 8 (a C# 14 static extension, so call sites stay as written).</summary>
internal static class ConvertPolyfill
{
    extension(Convert)
    {
        /// <summary>The bytes as lowercase hexadecimal.</summary>
        public static string ToHexStringLower(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
    }
}
#endif
