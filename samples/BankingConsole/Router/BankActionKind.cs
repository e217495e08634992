using System.Text.Json.Serialization;

namespace BankingConsole;

/// <summary>What one action of a plan does; the names are the tools that carry it out.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BankActionKind>))]
internal enum BankActionKind
{
    /// <summary>Read a balance.</summary>
    [JsonStringEnumMemberName("check_balance")]
    CheckBalance,

    /// <summary>Deposit into the customer's account.</summary>
    [JsonStringEnumMemberName("deposit")]
    Deposit,

    /// <summary>Send money from the customer's account.</summary>
    [JsonStringEnumMemberName("transfer")]
    Transfer,
}
