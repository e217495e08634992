using System.Text.Json.Serialization;

namespace HumanInLoop.Sqlite;

/// <summary>The JSON of the approvals' <c>approvers</c> column (<see cref="StateEntry.Approvers"/> as an array of strings), without reflection.</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class ApproverJson : JsonSerializerContext;
