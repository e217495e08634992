namespace HumanInLoop.Testing;

/// <summary>
/// The behaviour every <see cref="IGrantStore"/> must have: a grant created once, read back exactly, changed only by
/// compare-and-swap on its version (many racing writers, exactly one winner), and listed newest first in pages, filtered by tool,
/// tenant and the moment it must be in force. Each store's tests inherit this class and supply a fresh, empty store; the SQLite
/// and PostgreSQL stores run it against a real file and a real server.
/// </summary>
public abstract class GrantStoreContractTests
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Creates a new, empty store (a new file, schema or database per call).</summary>
    protected abstract Task<IGrantStore> CreateStoreAsync();

    /// <summary>Creates a second store object over the same storage as <paramref name="first"/>, or null if the store is process-local.</summary>
    protected virtual Task<IGrantStore?> OpenSameStorageAsync(IGrantStore first) => Task.FromResult<IGrantStore?>(null);

    protected static GrantEntry Grant(
        string id, int minutes = 0, string tool = "transfer", string? tenant = "t1", int expiresAfterMinutes = 60, bool revoked = false, long version = 1, string? data = null) =>
        new(id, tool, tenant, T0.AddMinutes(minutes), T0.AddMinutes(minutes + expiresAfterMinutes), revoked, version, data ?? $$"""{"id":"{{id}}","v":{{version}}}""");

    protected static async Task<List<GrantEntry>> ListAllAsync(IGrantStore store, GrantQuery query)
    {
        List<GrantEntry> all = [];
        string? token = null;
        int pages = 0;
        do
        {
            GrantPage page = await store.ListGrantsAsync(query with { ContinuationToken = token });
            Assert.True(page.Entries.Count <= query.PageSize);
            all.AddRange(page.Entries);
            token = page.ContinuationToken;
        }
        while (token is not null && ++pages < 1000);

        return all;
    }

    [Fact]
    public async Task Create_NewId_CanBeReadBackExactly()
    {
        IGrantStore store = await CreateStoreAsync();
        string data = """{"b":2,"a":1,"text":"é ✓ 𝄞 \"quoted\"","n":1.50}""";
        GrantEntry grant = Grant("g1", data: data);
        GrantEntry noTenant = Grant("g2", tenant: null);

        Assert.True(await store.TryCreateGrantAsync(grant));
        Assert.True(await store.TryCreateGrantAsync(noTenant));

        Assert.Equal(grant, await store.GetGrantAsync("g1"));
        Assert.Equal(data, (await store.GetGrantAsync("g1"))!.Data);
        Assert.Equal(noTenant, await store.GetGrantAsync("g2"));
    }

    [Fact]
    public async Task Create_ExistingId_ReturnsFalseAndKeepsOriginal()
    {
        IGrantStore store = await CreateStoreAsync();
        await store.TryCreateGrantAsync(Grant("g1", data: "{\"first\":true}"));

        Assert.False(await store.TryCreateGrantAsync(Grant("g1", tool: "other", data: "{\"second\":true}")));
        GrantEntry read = (await store.GetGrantAsync("g1"))!;
        Assert.Equal("{\"first\":true}", read.Data);
        Assert.Equal("transfer", read.ToolName);
    }

    [Fact]
    public async Task Create_VersionOtherThanOne_Throws()
    {
        IGrantStore store = await CreateStoreAsync();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryCreateGrantAsync(Grant("g1", version: 2)));
        Assert.Null(await store.GetGrantAsync("g1"));
    }

    [Fact]
    public async Task Get_UnknownOrMalformedId_ReturnsNull()
    {
        IGrantStore store = await CreateStoreAsync();
        await store.TryCreateGrantAsync(Grant("g-\uFFFD"));

        Assert.Null(await store.GetGrantAsync("nope"));
        Assert.Null(await store.GetGrantAsync("G-\uFFFD"));
        Assert.Null(await store.GetGrantAsync("g-" + (char)0xD800)); // could never have been stored; must not find another
    }

    [Fact]
    public async Task Update_WithCurrentVersion_ReplacesAndBumpsVersion()
    {
        IGrantStore store = await CreateStoreAsync();
        await store.TryCreateGrantAsync(Grant("g1"));

        GrantEntry revoked = Grant("g1", revoked: true, version: 2);
        Assert.True(await store.TryUpdateGrantAsync(revoked, expectedVersion: 1));

        Assert.Equal(revoked, await store.GetGrantAsync("g1"));
    }

    [Fact]
    public async Task Update_WithStaleVersion_ReturnsFalseAndChangesNothing()
    {
        IGrantStore store = await CreateStoreAsync();
        await store.TryCreateGrantAsync(Grant("g1"));
        Assert.True(await store.TryUpdateGrantAsync(Grant("g1", version: 2, data: "{\"v\":2}"), 1));

        Assert.False(await store.TryUpdateGrantAsync(Grant("g1", revoked: true, version: 2, data: "{\"stale\":true}"), expectedVersion: 1));
        GrantEntry read = (await store.GetGrantAsync("g1"))!;
        Assert.Equal("{\"v\":2}", read.Data);
        Assert.False(read.Revoked);
        Assert.Equal(2, read.Version);
    }

    [Fact]
    public async Task Update_UnknownIdOrMismatchedVersion_ChangesNothing()
    {
        IGrantStore store = await CreateStoreAsync();
        Assert.False(await store.TryUpdateGrantAsync(Grant("ghost", version: 2), 1));
        Assert.Null(await store.GetGrantAsync("ghost"));

        await store.TryCreateGrantAsync(Grant("g1"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryUpdateGrantAsync(Grant("g1", version: 3), expectedVersion: 1));
        Assert.Equal(1, (await store.GetGrantAsync("g1"))!.Version);
    }

    [Fact]
    public async Task Update_ManyConcurrentWritersOnOneVersion_ExactlyOneWins()
    {
        IGrantStore store = await CreateStoreAsync();
        await store.TryCreateGrantAsync(Grant("g1"));
        IGrantStore other = await OpenSameStorageAsync(store) ?? store;

        bool[] results = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() =>
            (i % 2 == 0 ? store : other).TryUpdateGrantAsync(Grant("g1", revoked: i % 3 == 0, version: 2, data: $"{{\"writer\":{i}}}"), 1))));

        Assert.Equal(1, results.Count(r => r));
        int winner = Array.IndexOf(results, true);
        GrantEntry read = (await store.GetGrantAsync("g1"))!;
        Assert.Equal(2, read.Version);
        Assert.Equal($"{{\"writer\":{winner}}}", read.Data);
        Assert.Equal(winner % 3 == 0, read.Revoked);
    }

    [Fact]
    public async Task List_NewestFirst_PagedWithoutSkippingOrRepeating_EvenWithEqualTimes()
    {
        IGrantStore store = await CreateStoreAsync();
        List<GrantEntry> grants = [.. Enumerable.Range(0, 17).Select(i => Grant($"g{i:D2}", minutes: i / 2))];
        foreach (GrantEntry grant in grants)
        {
            Assert.True(await store.TryCreateGrantAsync(grant));
        }

        List<string> seen = [];
        string? token = null;
        int pages = 0;
        do
        {
            GrantPage page = await store.ListGrantsAsync(new GrantQuery { PageSize = 4, ContinuationToken = token });
            seen.AddRange(page.Entries.Select(e => e.Id));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 20);

        Assert.Equal(grants.OrderByDescending(g => g.CreatedAt).ThenByDescending(g => g.Id, StringComparer.Ordinal).Select(g => g.Id), seen);
        Assert.Equal(5, pages);
    }

    [Fact]
    public async Task List_ActiveAt_ExcludesRevokedAndExpired()
    {
        IGrantStore store = await CreateStoreAsync();
        await store.TryCreateGrantAsync(Grant("active", minutes: 0, expiresAfterMinutes: 60));
        await store.TryCreateGrantAsync(Grant("expired", minutes: 1, expiresAfterMinutes: 9)); // expires at T0+10m
        await store.TryCreateGrantAsync(Grant("revoked", minutes: 2));
        await store.TryUpdateGrantAsync(Grant("revoked", minutes: 2, revoked: true, version: 2), 1);
        await store.TryCreateGrantAsync(Grant("later", minutes: 3, expiresAfterMinutes: 8)); // expires at T0+11m

        async Task<string> ActiveAt(DateTimeOffset at) => string.Join(",", (await ListAllAsync(store, new GrantQuery { ActiveAt = at, PageSize = 1 })).Select(g => g.Id));

        Assert.Equal("later,expired,active", await ActiveAt(T0.AddMinutes(5)));
        Assert.Equal("later,active", await ActiveAt(T0.AddMinutes(10))); // the expiry itself is out of force
        Assert.Equal("active", await ActiveAt(T0.AddMinutes(11)));
        Assert.Equal("", await ActiveAt(T0.AddMinutes(60)));
        Assert.Equal(["later", "revoked", "expired", "active"], (await store.ListGrantsAsync(new GrantQuery())).Entries.Select(g => g.Id));
    }

    [Fact]
    public async Task List_FiltersByToolAndTenant()
    {
        IGrantStore store = await CreateStoreAsync();
        await store.TryCreateGrantAsync(Grant("a", 0, "transfer", "t1"));
        await store.TryCreateGrantAsync(Grant("b", 1, "lookup", "t1"));
        await store.TryCreateGrantAsync(Grant("c", 2, "transfer", "t2"));
        await store.TryCreateGrantAsync(Grant("d", 3, "transfer", null));

        async Task<string> List(GrantQuery query) => string.Join(",", (await ListAllAsync(store, query with { PageSize = 1 })).Select(g => g.Id));

        Assert.Equal("d,c,a", await List(new GrantQuery { ToolName = "transfer" }));
        Assert.Equal("b,a", await List(new GrantQuery { TenantId = "t1" }));
        Assert.Equal("a", await List(new GrantQuery { ToolName = "transfer", TenantId = "t1" }));
        Assert.Equal("", await List(new GrantQuery { ToolName = "Transfer" }));
        Assert.Equal("", await List(new GrantQuery { ToolName = "transfer" + (char)0xD800 }));
    }

    [Fact]
    public async Task List_MalformedContinuationToken_Throws()
    {
        IGrantStore store = await CreateStoreAsync();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListGrantsAsync(new GrantQuery { ContinuationToken = "!!not-a-token" }));
    }

    [Fact]
    public void Entry_WithALoneSurrogate_IsRefusedWhenConstructedAndInWith()
    {
        string lone = "x" + (char)0xDFFF;
        GrantEntry grant = Grant("g1");

        Assert.Throws<ArgumentException>(() => Grant(lone));
        Assert.Throws<ArgumentException>(() => Grant("g1", tool: lone));
        Assert.Throws<ArgumentException>(() => Grant("g1", tenant: lone));
        Assert.Throws<ArgumentException>(() => grant with { Id = lone });
        Assert.Throws<ArgumentException>(() => grant with { ToolName = lone });
        Assert.Throws<ArgumentException>(() => grant with { TenantId = lone });
    }

    [Fact]
    public async Task SecondStoreObject_SeesARevokeAsSoonAsItCommits()
    {
        IGrantStore store = await CreateStoreAsync();
        IGrantStore? other = await OpenSameStorageAsync(store);
        if (other is null)
        {
            Assert.IsType<InMemoryStateStore>(store);
            return;
        }

        await store.TryCreateGrantAsync(Grant("g1"));
        Assert.Single((await other.ListGrantsAsync(new GrantQuery { ActiveAt = T0.AddMinutes(1) })).Entries);

        Assert.True(await other.TryUpdateGrantAsync(Grant("g1", revoked: true, version: 2), 1));

        Assert.True((await store.GetGrantAsync("g1"))!.Revoked);
        Assert.Empty((await store.ListGrantsAsync(new GrantQuery { ActiveAt = T0.AddMinutes(1) })).Entries);
    }
}
