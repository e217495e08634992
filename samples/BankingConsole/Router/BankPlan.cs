using System.ComponentModel;

namespace BankingConsole;

/// <summary>
/// What the model returns in router mode, through structured output (<c>GetResponseAsync&lt;BankPlan&gt;</c>): a list of
/// typed actions. The model only proposes; the policies decide what runs, what waits for a person, and what is refused.
/// </summary>
/// <param name="Actions">The actions that carry out the request, in order.</param>
/// <param name="Reply">A short reply when there is nothing to do or the request is unclear.</param>
[Description("A plan of bank actions that carry out the customer's request.")]
internal sealed record BankPlan(
    [property: Description("The actions that carry out the request, in order. Empty when there is nothing to do.")] IReadOnlyList<BankAction> Actions,
    [property: Description("A short reply to the customer when there is nothing to do or the request is unclear; otherwise null.")] string? Reply);
