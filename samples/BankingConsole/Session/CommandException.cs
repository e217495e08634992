namespace BankingConsole;

/// <summary>A command the session cannot carry out as typed; its message says what to type instead. Nothing changed.</summary>
internal sealed class CommandException(string message) : Exception(message);
