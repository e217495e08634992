using System.Collections.Concurrent;
using System.Text;

namespace HumanInLoop.Testing.Fuzzing;

/// <summary>Counts a fuzz run's outcomes per door (a status, an exception type) and keeps the first failures to report.</summary>
public sealed class FuzzTally(string door, int seed)
{
    private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();
    private int _tried;

    public int Tried => _tried;

    public IReadOnlyCollection<string> Failures => _failures;

    public void Count(string outcome)
    {
        Interlocked.Increment(ref _tried);
        _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
    }

    /// <summary>Records a failure; with <c>HIL_FUZZ_DUMP</c> set to a folder, the whole input is written there too, to replay it.</summary>
    public void Fail(int index, string kind, string input)
    {
        if (Environment.GetEnvironmentVariable("HIL_FUZZ_DUMP") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, $"{string.Concat(door.Split(Path.GetInvalidFileNameChars()))}-{seed}-{index}.txt"), kind + "\n" + input);
        }

        if (_failures.Count < 20)
        {
            string shown = input.Length > 300 ? input[..300] + $"... ({input.Length} chars)" : input;
            _failures.Enqueue($"#{index} {kind}: {shown}");
        }
    }

    /// <summary>"door: N inputs (seed S): 400 x12, 415 x3, ...", then the failures, one a line.</summary>
    public override string ToString()
    {
        StringBuilder text = new($"{door}: {_tried} inputs (seed {seed}): ");
        text.AppendJoin(", ", _outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} x{o.Value}"));
        foreach (string failure in _failures)
        {
            text.AppendLine().Append("  FAILED ").Append(failure);
        }

        return text.ToString();
    }
}
