namespace BankingConsole;

/// <summary>How the assistant acts on a request.</summary>
internal enum BankMode
{
    /// <summary>Method 2 (the default): the model calls tools; the approval gate checks every call before it runs.</summary>
    Tools,

    /// <summary>Method 1: the model returns a typed plan; the same policies gate each action.</summary>
    Router,
}
