using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Cli.Tests;

/// <summary>A store whose application seals records with <see cref="ApprovalOptions.IntegrityKey"/>: the key comes from the environment.</summary>
public sealed class IntegrityKeyTests : IAsyncLifetime
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private SeededBank _bank = null!;
    private string _path = "";

    public async Task InitializeAsync() => (_bank, _path) = await SeededBank.SeedSqliteAsync(_key);

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" }.Where(File.Exists))
        {
            File.Delete(file);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task WithTheKeyFromTheEnvironment_ApproveSealsWhatTheApplicationReads()
    {
        Dictionary<string, string> environment = new() { ["HIL_KEY"] = Convert.ToBase64String(_key) };

        CliRun verify = await Cli.RunAsync(environment, "verify", "--sqlite", _path, "--integrity-key-env", "HIL_KEY");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        CliRun approve = await Cli.RunAsync(environment, "approve", _bank.Waiting, "c-tr", "--as", "alice", "--role", "tellers", "--sqlite", _path, "--integrity-key-env", "HIL_KEY");
        Assert.True(approve.ExitCode == 0, approve.ToString());

        // The application, holding the key, reads the decision the command line wrote.
        Assert.Equal(CallDecisionStatus.Approved, (await _bank.Approvals.GetAsync(_bank.Waiting)).FindCall("c-tr")!.Decision);
    }

    [Fact]
    public async Task WithAWrongKey_VerifyFindsEveryApprovalBroken_AndApproveWritesNothing()
    {
        Dictionary<string, string> environment = new() { ["HIL_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };

        CliRun verify = await Cli.RunAsync(environment, "verify", "--json", "--sqlite", _path, "--integrity-key-env", "HIL_KEY");
        Assert.Equal(ExitCodes.Integrity, verify.ExitCode);
        Assert.Equal(3, verify.Json.GetProperty("breaks").GetArrayLength());

        CliRun approve = await Cli.RunAsync(environment, "approve", _bank.Waiting, "c-tr", "--as", "alice", "--role", "tellers", "--sqlite", _path, "--integrity-key-env", "HIL_KEY");
        Assert.Equal(ExitCodes.Integrity, approve.ExitCode);
        Assert.Equal(ApprovalStatus.Pending, (await _bank.Approvals.GetAsync(_bank.Waiting)).Status);
    }

    [Fact]
    public async Task AnUnsetOrMalformedKeyVariable_IsAUsageError()
    {
        Assert.Equal(ExitCodes.Usage, (await Cli.RunAsync("pending", "--sqlite", _path, "--integrity-key-env", "HIL_KEY")).ExitCode);
        CliRun malformed = await Cli.RunAsync(new Dictionary<string, string> { ["HIL_KEY"] = "not base64!" }, "pending", "--sqlite", _path, "--integrity-key-env", "HIL_KEY");
        Assert.Equal(ExitCodes.Usage, malformed.ExitCode);
        Assert.Contains("HIL_KEY", malformed.Error);
    }

    [Fact]
    public async Task WithoutTheKey_SealedRecords_AreReportedNotRewritten()
    {
        CliRun approve = await Cli.RunAsync("approve", _bank.Waiting, "c-tr", "--as", "alice", "--role", "tellers", "--sqlite", _path);

        Assert.True(approve.ExitCode == ExitCodes.Integrity, approve.ToString());
        Assert.Equal(ApprovalStatus.Pending, (await _bank.Approvals.GetAsync(_bank.Waiting)).Status);
    }
}
