using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace HumanInLoop.Rules.Internal;

/// <summary>
/// The content hash of a rule set: SHA-256 over a canonical JSON form of its rules (sorted by name; the verdict by its name; time spans
/// in the constant format; absent values as null), so that the same rules give the same hash whatever the provider, the order of rules and keys, or the file's layout
/// (a condition is hashed as written, trimmed).
/// The label and the pin are not part of it.
/// </summary>
internal static class RuleSetHash
{
    public static string Compute(IEnumerable<RuleText> rules)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartArray();
            foreach (RuleText rule in rules.OrderBy(r => r.Name, StringComparer.Ordinal))
            {
                writer.WriteStartObject();
                writer.WriteString("name", rule.Name);
                writer.WriteString("tool", rule.Tool);
                writer.WriteString("when", rule.When);
                writer.WriteString("verdict", rule.Verdict.ToString());
                writer.WriteString("reason", rule.Reason);
                writer.WriteStartArray("approvers");
                foreach (string approver in rule.Approvers)
                {
                    writer.WriteStringValue(approver);
                }

                writer.WriteEndArray();
                writer.WriteString("expiresAfter", rule.ExpiresAfter?.ToString("c", CultureInfo.InvariantCulture));
                if (rule.RequiredApprovals is { } required)
                {
                    writer.WriteNumber("requiredApprovals", required);
                }
                else
                {
                    writer.WriteNull("requiredApprovals");
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }
}
