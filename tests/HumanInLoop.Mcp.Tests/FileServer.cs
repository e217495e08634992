using System.Collections.Concurrent;
using System.IO.Pipelines;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace HumanInLoop.Mcp.Tests;

/// <summary>
/// What outlives a restart of the test's MCP server: a real folder of files and how often each tool ran on the server side.
/// </summary>
public sealed class FileServerState : IDisposable
{
    private readonly ConcurrentDictionary<string, int> _invocations = new(StringComparer.Ordinal);

    public FileServerState()
    {
        Root = Directory.CreateTempSubdirectory("hil-mcp-");
        foreach (string name in new[] { "report.txt", "notes.txt", "tmp/scratch.txt" })
        {
            string path = Path.Combine(Root.FullName, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, name);
        }
    }

    public DirectoryInfo Root { get; }

    public int Invocations(string tool) => _invocations.GetValueOrDefault(tool);

    public bool Exists(string relativePath) => File.Exists(Path.Combine(Root.FullName, relativePath));

    internal void Count(string tool) => _invocations.AddOrUpdate(tool, 1, (_, n) => n + 1);

    public void Dispose() => Root.Delete(recursive: true);
}

/// <summary>
/// A real MCP server (the SDK's <see cref="McpServer"/>) over an in-process stream transport, and a real <see cref="McpClient"/>
/// connected to it. Disposing it stops both: a later <see cref="StartAsync"/> is a restarted server with a new session, whose
/// tools the test lists again, as a process that restarted would.
/// </summary>
public sealed class FileServer : IAsyncDisposable
{
    private readonly McpServer _server;
    private readonly CancellationTokenSource _stop;
    private readonly Task _running;

    private FileServer(McpServer server, CancellationTokenSource stop, Task running, McpClient client, IList<McpClientTool> tools)
    {
        _server = server;
        _stop = stop;
        _running = running;
        Client = client;
        Tools = tools;
    }

    public McpClient Client { get; }

    /// <summary>The tools as listed from the server by this session's client.</summary>
    public IList<McpClientTool> Tools { get; }

    /// <summary>Starts the server (offering <c>delete_file</c> unless told not to) and connects a client; lists the tools.</summary>
    public static async Task<FileServer> StartAsync(FileServerState state, bool offerDelete = true, IEnumerable<McpServerTool>? extraTools = null, McpClientOptions? clientOptions = null)
    {
        McpServerPrimitiveCollection<McpServerTool> tools = [McpServerTool.Create(
            () => { state.Count("list_files"); return string.Join(",", state.Root.EnumerateFiles("*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(state.Root.FullName, f.FullName)).Order()); },
            new McpServerToolCreateOptions { Name = "list_files", Description = "Lists the files.", ReadOnly = true })];
        if (offerDelete)
        {
            tools.Add(McpServerTool.Create(
                (string path) => Delete(state, path),
                new McpServerToolCreateOptions { Name = "delete_file", Description = "Deletes a file for good.", Destructive = true }));
        }

        foreach (McpServerTool extra in extraTools ?? [])
        {
            tools.Add(extra);
        }

        Pipe clientToServer = new(), serverToClient = new();
        McpServer server = McpServer.Create(
            new StreamServerTransport(clientToServer.Reader.AsStream(), serverToClient.Writer.AsStream()),
            new McpServerOptions { ServerInfo = new Implementation { Name = "files", Version = "1.0.0" }, ToolCollection = tools });
        CancellationTokenSource stop = new();
        Task running = server.RunAsync(stop.Token);
        McpClient client = await McpClient.CreateAsync(
            new StreamClientTransport(clientToServer.Writer.AsStream(), serverToClient.Reader.AsStream()), clientOptions);
        IList<McpClientTool> listed = await client.ListToolsAsync();
        return new FileServer(server, stop, running, client, listed);
    }

    /// <summary>What the server's <c>delete_file</c> does: deletes one file under the root, counted.</summary>
    public static string Delete(FileServerState state, string path)
    {
        state.Count("delete_file");
        string full = Path.GetFullPath(Path.Combine(state.Root.FullName, path));
        if (!full.StartsWith(state.Root.FullName, StringComparison.Ordinal) || !File.Exists(full))
        {
            throw new McpException($"No such file: {path}");
        }

        File.Delete(full);
        return $"deleted {path}";
    }

    /// <summary>The listed tool of that name.</summary>
    public McpClientTool Tool(string name) => Tools.Single(t => t.Name == name);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }

        await _server.DisposeAsync();
        _stop.Dispose();
    }
}
