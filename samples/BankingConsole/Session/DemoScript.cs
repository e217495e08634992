namespace BankingConsole;

/// <summary>
/// The scripted tour of gradual automation (<c>--demo</c>): a few requests that run at once, three transfers the teller
/// approves, one rejected with a reason (asked for again, the model's repeat is answered with that rejection by the retry-loop
/// guard, nobody asked), one the teller answers in place of the tool (done by hand), one approved "and don't ask again" (a standing grant) that lets the next one run at
/// once; then the automation report, and replays of the looser candidate and of today's rules. Typed as a person would,
/// answers to the approval questions included, and echoed after each prompt.
/// </summary>
internal sealed class DemoScript(TextWriter echo) : TextReader
{
    private static readonly string[] s_lines =
    [
        "what is my balance",
        "deposit 50",
        "send $50 to alice",
        "transfer 150 to bob",
        "a",
        "transfer 300 to alice",
        "a",
        "transfer 400 to bob",
        "r",
        "Carol says she never asked for this; her phone may be compromised",
        "transfer 400.00 to bob",
        "transfer 500 to alice",
        "l",
        "respond last Done by hand at the branch this morning (slip BR-7); nothing more to send.",
        "transfer 120 to bob",
        "l",
        "approve last --grant 8h to=bob amount<=200",
        "transfer 180 to bob",
        "grants",
        "report",
        "replay",
        "replay current",
        "quit",
    ];

    private int _next;

    public override string? ReadLine()
    {
        if (_next == s_lines.Length)
        {
            return null;
        }

        string line = s_lines[_next++];
        echo.WriteLine(line);
        return line;
    }

    public override ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ReadLine());

    public override Task<string?> ReadLineAsync() => Task.FromResult(ReadLine());
}
