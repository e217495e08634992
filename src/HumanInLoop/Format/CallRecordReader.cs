using System.Buffers;
using System.Text;
using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>
/// A lean reader for the call records the library writes: one pass of a <see cref="Utf8JsonReader"/> over the exact shape
/// <see cref="CallRecordFormat.ToEntry"/> produces (camelCase names, enums as their names). A replay reads a million of them,
/// and this is about three times cheaper than the general serializer.
/// </summary>
/// <remarks>
/// It reads nothing it does not know: an unknown property, a name in other casing, an enum as a number, a <see langword="null"/>
/// where the writer never puts one, or JSON that does not parse makes it return <see langword="null"/>, and the caller reads the
/// record with the general serializer instead, which decides as it always has (accepts or reports the record as unreadable).
/// </remarks>
internal static class CallRecordReader
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly Dictionary<string, CallOutcome> s_outcomes = Enum.GetValues<CallOutcome>().ToDictionary(v => v.ToString(), StringComparer.Ordinal);
    private static readonly Dictionary<string, PolicyVerdictKind> s_kinds = Enum.GetValues<PolicyVerdictKind>().ToDictionary(v => v.ToString(), StringComparer.Ordinal);

    /// <summary>Reads a record of the known shape, or returns <see langword="null"/> for the general serializer to read.</summary>
    public static RecordedCall? TryRead(string data)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(s_strictUtf8.GetMaxByteCount(data.Length));
        try
        {
            int length = s_strictUtf8.GetBytes(data, buffer);
            Utf8JsonReader reader = new(buffer.AsSpan(0, length), new JsonReaderOptions { MaxDepth = HumanInLoopJson.MaxDepth });
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && ReadCall(ref reader) is { } call && !reader.Read() ? call : null;
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            return null; // not JSON, not UTF-16 that converts, or a token of another type: the general serializer decides
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static RecordedCall? ReadCall(ref Utf8JsonReader reader)
    {
        RecordedCall call = new();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "id": call.Id = reader.GetString()!; break;
                case "approvalId": call.ApprovalId = reader.GetString(); break;
                case "callId": call.CallId = reader.GetString()!; break;
                case "toolName": call.ToolName = reader.GetString()!; break;
                case "arguments": call.Arguments = JsonElement.ParseValue(ref reader); break;
                case "seenAt": call.SeenAt = reader.GetDateTimeOffset(); break;
                case "decidedBy": call.DecidedBy = reader.GetString(); break;
                case "decidedAt": call.DecidedAt = reader.TokenType == JsonTokenType.Null ? null : reader.GetDateTimeOffset(); break;
                case "decisionReason": call.DecisionReason = reader.GetString(); break;
                case "editedArguments": call.EditedArguments = reader.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref reader); break;
                case "grantId": call.GrantId = reader.GetString(); break;
                case "repeatOf": call.RepeatOf = reader.GetString(); break;
                case "outcome" when reader.TokenType == JsonTokenType.String && s_outcomes.TryGetValue(reader.GetString()!, out CallOutcome outcome):
                    call.Outcome = outcome;
                    break;
                case "context" when reader.TokenType == JsonTokenType.StartObject && ReadContext(ref reader) is { } context:
                    call.Context = context;
                    break;
                case "verdict" when reader.TokenType == JsonTokenType.StartObject && ReadVerdict(ref reader) is { } verdict:
                    call.Verdict = verdict;
                    break;
                case "shadowVerdict" when reader.TokenType == JsonTokenType.Null:
                    call.ShadowVerdict = null;
                    break;
                case "shadowVerdict" when reader.TokenType == JsonTokenType.StartObject && ReadVerdict(ref reader) is { } shadow:
                    call.ShadowVerdict = shadow;
                    break;
                default:
                    return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject ? call : null;
    }

    private static CallerContext? ReadContext(ref Utf8JsonReader reader)
    {
        string? user = null, tenant = null, conversation = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "userId": user = reader.GetString(); break;
                case "tenantId": tenant = reader.GetString(); break;
                case "conversationId": conversation = reader.GetString(); break;
                default: return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject ? new CallerContext { UserId = user, TenantId = tenant, ConversationId = conversation } : null;
    }

    private static RecordedVerdict? ReadVerdict(ref Utf8JsonReader reader)
    {
        PolicyVerdictKind kind = default;
        string? reason = null, error = null;
        List<string>? policies = null, versions = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "kind" when reader.TokenType == JsonTokenType.String && s_kinds.TryGetValue(reader.GetString()!, out PolicyVerdictKind parsed):
                    kind = parsed;
                    break;
                case "reason": reason = reader.GetString(); break;
                case "error": error = reader.GetString(); break;
                case "policies" when reader.TokenType == JsonTokenType.StartArray:
                    if ((policies = ReadStrings(ref reader)) is null)
                    {
                        return null;
                    }

                    break;
                case "policyVersions" when reader.TokenType == JsonTokenType.StartArray:
                    if ((versions = ReadStrings(ref reader)) is null)
                    {
                        return null;
                    }

                    break;
                default: return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject ? new RecordedVerdict(kind, reason, policies, error, versions) : null;
    }

    private static List<string>? ReadStrings(ref Utf8JsonReader reader)
    {
        List<string> strings = [];
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            strings.Add(reader.GetString()!);
        }

        return reader.TokenType == JsonTokenType.EndArray ? strings : null;
    }
}
