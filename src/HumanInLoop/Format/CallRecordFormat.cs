using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>The only code that turns a recorded call into a <see cref="CallRecordEntry"/> and back.</summary>
internal static class CallRecordFormat
{
    public static CallRecordEntry ToEntry(RecordedCall call) =>
        new(call.Id, call.ToolName, call.Context.TenantId, call.SeenAt, JsonSerializer.Serialize(call, HumanInLoopJson.StateOptions));

    public static RecordedCall Read(CallRecordEntry entry)
    {
        try
        {
            // The lean reader takes the shape this library writes; anything else goes to the general serializer, as before.
            RecordedCall call = CallRecordReader.TryRead(entry.Data)
                ?? JsonSerializer.Deserialize<RecordedCall>(entry.Data, HumanInLoopJson.StateOptions)
                ?? throw new JsonException("The record is null.");
            return call.Id == entry.Id && call.ToolName == entry.ToolName
                ? call
                : throw new JsonException("The record does not match its columns; it was changed outside HumanInLoop.");
        }
        catch (JsonException exception)
        {
            throw new ApprovalStateFormatException($"The call record '{entry.Id}' cannot be read: {exception.Message}", null, exception);
        }
    }
}
