using HumanInLoop;

namespace BankingConsole;

/// <summary>The display for a person at a terminal.</summary>
internal sealed class TerminalView : IBankView
{
    public bool IsInteractive => true;

    public void Ready(BankMode mode, string model, string dataDirectory, string approver)
    {
        Write(ConsoleColor.Cyan, "HumanInLoop banking demo");
        Console.WriteLine($"  You type as {Bank.CustomerAccount}, a customer; an assistant acts on the requests. Transfers over $100 wait for");
        Console.WriteLine($"  a person's approval, and you decide them too, as '{approver}'.");
        Console.WriteLine($"  Mode: {(mode == BankMode.Tools ? "tool calling (the gate checks each call the model makes)" : "router (the model returns a plan; the same rules gate each action)")}.");
        Console.WriteLine($"  Model: {model}. State: {Path.GetFullPath(dataDirectory)} (delete it to start over).");
        Console.WriteLine("  Try: \"what is my balance\", \"deposit 20\", \"send $20 to alice\", \"transfer 500 to bob\". Type help for commands.");
        Console.WriteLine();
    }

    public void Pending(PendingApproval approval)
    {
        foreach (PendingToolCall call in approval.AwaitingApproval)
        {
            Write(ConsoleColor.Yellow, $"  Waiting for approval  {approval.Id}  (call {call.CallId})");
            Console.WriteLine($"    tool:      {call.ToolName}");
            Console.WriteLine($"    arguments: {call.Arguments.GetRawText()}");
            Console.WriteLine($"    reason:    {call.PolicyReason}");
            Console.WriteLine($"    requested: {approval.CreatedAt.ToLocalTime():yyyy-MM-dd HH:mm}, expires {approval.ExpiresAt.ToLocalTime():yyyy-MM-dd HH:mm}");
        }
    }

    public void Unfinished(PendingApproval approval) =>
        Write(ConsoleColor.Yellow, approval.Status == ApprovalStatus.Decided
            ? $"  Approval {approval.Id} is decided but was not resumed (type: resume {approval.Id})."
            : $"  Approval {approval.Id} is {approval.Status}.");

    public void Result(string tool, string arguments, string text) => Write(ConsoleColor.DarkGray, $"  [{tool} {arguments}] {text}");

    public void Answer(string text) => Write(ConsoleColor.Green, $"assistant> {text}");

    public void Recorded(string what, string approvalId, string? callId = null, string? reason = null) =>
        Write(ConsoleColor.DarkGray, what switch
        {
            "LATER" => $"  Left pending: {approvalId}. It will be listed when you start again.",
            _ => $"  {what.ToLowerInvariant()}: {approvalId} {callId}{(reason is null ? "" : $" ({reason})")}",
        });

    public void Balances(IReadOnlyList<AccountBalance> balances) =>
        Console.WriteLine("  Balances: " + string.Join(", ", balances.Select(b => $"{b.Account} {Money.Display(b.Cents)}")));

    public void Ledger(IReadOnlyList<LedgerEntry> entries)
    {
        if (entries.Count == 0)
        {
            Console.WriteLine("  The ledger is empty.");
        }

        foreach (LedgerEntry e in entries)
        {
            Console.WriteLine($"  #{e.Id} {e.Kind,-8} {e.From ?? "",-6} -> {e.To,-6} {Money.Display(e.Cents),12}  {(e.IdempotencyKey is null ? "(ran at once)" : $"key {e.IdempotencyKey}")}");
        }
    }

    public void Help()
    {
        Console.WriteLine("  Type a request in your own words, or a command:");
        foreach (string line in SessionCommands.Help)
        {
            Console.WriteLine("    " + line);
        }
    }

    public void Report(AutomationReport report)
    {
        Write(ConsoleColor.Cyan, "  Automation report (from the stored records)");
        Console.WriteLine($"    all calls:  {AutomationText.Figures(report.Total)}");
        foreach ((string tool, AutomationFigures figures) in report.ByTool)
        {
            Console.WriteLine($"    tool {tool}: {AutomationText.Figures(figures)}");
        }

        foreach ((string policy, AutomationFigures figures) in report.ByPolicy)
        {
            Console.WriteLine($"    policy {policy}: {AutomationText.Figures(figures)}");
        }

        // Which rules were in force: the label and content hash of appsettings.json's rules when each call was judged.
        foreach ((string version, AutomationFigures figures) in report.ByPolicyVersion)
        {
            Console.WriteLine($"    rules version {version}: {AutomationText.Figures(figures)}");
        }

        Console.WriteLine($"    shadow candidate vs active rules: {AutomationText.Shadow(report.Shadow)}");
    }

    public void Replay(string candidate, ReplayReport report)
    {
        Write(ConsoleColor.Cyan, $"  Replay of {candidate} over {report.Calls} recorded calls (nothing runs, nothing changes)");
        Console.WriteLine($"    {AutomationText.Summary(candidate, report)}");
        Section(ConsoleColor.Red, "would have run without asking, but a person rejected, edited or answered it", report.FalseApprovals.Select(AutomationText.Finding));
        Section(ConsoleColor.Yellow, "would still ask, and a person approved it", report.NeedlessAsks.Select(AutomationText.Finding));
        Section(ConsoleColor.Yellow, "tools people always approved when asked", report.AlwaysApprovedTools);
        Section(ConsoleColor.DarkGray, "would deny", report.Denials.Select(AutomationText.Finding));
        Section(ConsoleColor.Red, "the candidate threw", report.Errors.Select(AutomationText.Finding));
    }

    public void Grants(IReadOnlyList<ApprovalGrant> grants, DateTimeOffset now)
    {
        if (grants.Count == 0)
        {
            Console.WriteLine("  No standing grants.");
        }

        foreach (ApprovalGrant grant in grants)
        {
            Write(ConsoleColor.DarkGray, $"  grant {AutomationText.Grant(grant, now)}");
        }
    }

    public void Note(string text) => Write(ConsoleColor.DarkGray, $"  {text}");

    public void Done(string command)
    {
    }

    public void Error(string message) => Write(ConsoleColor.Red, $"  {message}");

    public void Prompt(string text)
    {
        Console.ForegroundColor = ConsoleColor.White;
        Console.Write(text);
        Console.ResetColor();
    }

    private static void Section(ConsoleColor color, string title, IEnumerable<string> lines)
    {
        List<string> all = [.. lines];
        Console.WriteLine($"    {title}: {(all.Count == 0 ? "none" : all.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        all.ForEach(line => Write(color, $"      {line}"));
    }

    private static void Write(ConsoleColor color, string text)
    {
        Console.ForegroundColor = color;
        Console.WriteLine(text);
        Console.ResetColor();
    }
}
