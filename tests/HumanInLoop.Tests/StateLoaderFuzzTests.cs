using System.Text.Json.Nodes;
using HumanInLoop.Testing.Fuzzing;
using Xunit.Abstractions;

namespace HumanInLoop.Tests;

/// <summary>
/// The short form, run in CI, of benchmarks/StateFuzz: the saved approval of every format version, mutated (bit flips, cut spans,
/// stray tokens, truncation, splices of two versions, values of another type, numbers past decimal, deep nests, huge strings),
/// read back through <see cref="ApprovalService"/> as a store would hand it. Each mutant loads or is refused with an
/// <see cref="ApprovalException"/>; no other exception, no hang. The counts are printed. The long form: HIL_FUZZ_ITERATIONS.
/// </summary>
public sealed class StateLoaderFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MutatedStoredApprovals_LoadOrFailWithATypedError_NeverAnotherExceptionOrAHang()
    {
        string[] snapshots = [.. new[] { "pending-approval-v1.json", "pending-approval-v2.json", "pending-approval-v3.json" }
            .Select(name => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", name)))!.ToJsonString())];
        int seed = FuzzBudget.Seed, count = FuzzBudget.Iterations(3000);
        FuzzTally tally = new("state loader", seed);
        MutantStore store = new();
        ApprovalService approvals = new(store, new ApprovalOptions());
        for (int i = 0; i < count; i++)
        {
            Random random = FuzzBudget.For(seed, i);
            string snapshot = snapshots[random.Next(snapshots.Length)];
            JsonNode saved = JsonNode.Parse(snapshot)!;
            string id = saved["id"]!.GetValue<string>();
            string? conversationId = saved["context"]?["conversationId"]?.GetValue<string>();
            string mutant = random.Next(20) switch
            {
                0 => JsonMutator.NestText(1 + random.Next(200_000), random.Next(2) == 0),
                1 => snapshot.Replace("\"messages\":", $"\"padding\":\"{new string('x', random.Next(2_000_000))}\",\"messages\":", StringComparison.Ordinal),
                _ => JsonMutator.Mutate(snapshot, random, snapshots[random.Next(snapshots.Length)]),
            };
            // Under the snapshot's own id, conversation and status, as its row holds them, so the row checks pass and the reader goes deep.
            store.Current = new StateEntry(id, conversationId, ApprovalStatus.Decided, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(3), DateTimeOffset.UnixEpoch, 1, mutant);
            try
            {
                _ = await approvals.GetAsync(id).WaitAsync(ReadDeadline);
                tally.Count("loaded");
            }
            catch (ApprovalException exception)
            {
                tally.Count(exception.GetType().Name);
            }
            catch (TimeoutException)
            {
                tally.Count("hang");
                tally.Fail(i, $"no answer within {ReadDeadline}", mutant);
            }
            catch (Exception exception)
            {
                tally.Count("untyped " + exception.GetType().Name);
                tally.Fail(i, $"{exception.GetType().Name}: {exception.Message}", mutant);
            }
        }

        output.WriteLine(tally.ToString());
        Console.WriteLine(tally.ToString());
        Assert.Empty(tally.Failures);
    }

    /// <summary>A store that hands back whatever mutant it holds, and writes nothing.</summary>
    private sealed class MutantStore : IStateStore
    {
        public StateEntry? Current { get; set; }

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => Task.FromResult(false);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => Task.FromResult(Current);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) => Task.FromResult(false);

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
