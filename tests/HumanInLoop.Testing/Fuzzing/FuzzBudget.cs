using System.Globalization;

namespace HumanInLoop.Testing.Fuzzing;

/// <summary>
/// How many inputs a fuzz test tries and from which seed. CI runs the short form: every input of it on .NET 10, a quarter on
/// .NET 8 and 9 (the same code paths, less time). By hand, <c>HIL_FUZZ_ITERATIONS</c> sets the count for every target (the
/// long form) and <c>HIL_FUZZ_SEED</c> another seed; a failure prints the seed and the input number to replay it.
/// </summary>
public static class FuzzBudget
{
    public const string IterationsVariable = "HIL_FUZZ_ITERATIONS";
    public const string SeedVariable = "HIL_FUZZ_SEED";
    public const int DefaultSeed = 20261206;

    /// <summary>The number of inputs for a door whose short form is <paramref name="shortForm"/>.</summary>
    public static int Iterations(int shortForm)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int set) && set > 0)
        {
            return set;
        }

        return Environment.Version.Major >= 10 ? shortForm : Math.Max(1, shortForm / 4);
    }

    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed) ? seed : DefaultSeed;

    /// <summary>The generator of input <paramref name="index"/>: each input can be replayed on its own.</summary>
    public static Random For(int seed, int index) => new((int)((((long)seed * 1_000_003L) + index) & int.MaxValue)); // not HashCode: it is salted per process
}
