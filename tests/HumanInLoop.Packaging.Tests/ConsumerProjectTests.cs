using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace HumanInLoop.Packaging.Tests;

/// <summary>
/// The packages the way a user consumes them: packed (by .ci/run into <c>HUMANINLOOP_PACKAGES</c>, or here when that is
/// not set), added with <c>dotnet add package</c> from a local folder to a fresh <c>dotnet new console</c> project, built
/// and run. The program gates a call with a scripted model and exits 0 only when the call was held, not run.
/// </summary>
public sealed class ConsumerProjectTests
{
    private static readonly string[] s_packages =
        ["HumanInLoop", "HumanInLoop.Sqlite", "HumanInLoop.PostgreSql", "HumanInLoop.AspNetCore", "HumanInLoop.Notifications", "HumanInLoop.Rules"];

    private static readonly Dictionary<string, string> s_metadata = typeof(ConsumerProjectTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value!);

    [Fact]
    public async Task FreshConsoleProject_WithThePackedPackages_HoldsAGatedCall()
    {
        string version = s_metadata["PackageVersion"];
        string work = Directory.CreateTempSubdirectory("hil-consumer-").FullName;
        try
        {
            string feed = await PackagesAsync(work);
            foreach (string package in s_packages)
            {
                string nupkg = Path.Combine(feed, $"{package}.{version}.nupkg");
                Assert.True(File.Exists(nupkg), $"{package} was not packed at {nupkg}.");
                Assert.True(File.Exists(Path.Combine(feed, $"{package}.{version}.snupkg")), $"{package} has no symbol package.");
            }

            string app = Path.Combine(work, "app");
            await DotnetAsync(work, "new", "console", "--output", app, "--name", "Consumer", "--framework", "net10.0");
            // The local folder first, then the registry everything else comes from. A private package folder, with the
            // machine's own as a read-only fallback, so an older build of the same version cached elsewhere is never used.
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config><add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" /></config>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <add key="machine" value="{Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")}" />
                  </fallbackPackageFolders>
                </configuration>
                """);
            await DotnetAsync(app, "add", "package", "HumanInLoop", "--version", version);
            foreach (string package in s_packages.Skip(1))
            {
                await DotnetAsync(app, "add", "package", package, "--version", version, "--no-restore");
            }

            File.Copy(Path.Combine(AppContext.BaseDirectory, "Consumer", "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);
            string output = await DotnetAsync(app, "run", "--configuration", "Release");

            Assert.Matches(@"HELD transfer apr_\S+", output);
            Assert.Contains("LOADED HumanInLoop.AspNetCore HumanInLoop.Notifications HumanInLoop.PostgreSql HumanInLoop.Rules", output, StringComparison.Ordinal);
            // Installed from the local folder into the private package folder, not found in the machine's cache.
            Assert.True(Directory.Exists(Path.Combine(work, "packages", "humaninloop", version)), "HumanInLoop was not installed from the local folder.");
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A build server may still hold a file; the temporary folder is left for the system to clean.
            }
        }
    }

    /// <summary>The folder of packed packages: .ci/run's, or packed here from the built projects.</summary>
    private static async Task<string> PackagesAsync(string work)
    {
        if (Environment.GetEnvironmentVariable("HUMANINLOOP_PACKAGES") is { Length: > 0 } packed)
        {
            return Path.GetFullPath(packed);
        }

        string feed = Path.Combine(work, "feed");
        string root = s_metadata["RepositoryRoot"];
        foreach (string package in s_packages)
        {
            await DotnetAsync(root, "pack", Path.Combine(root, "src", package, package + ".csproj"), "--configuration", "Release", "--output", feed);
        }

        return feed;
    }

    private static async Task<string> DotnetAsync(string directory, params string[] arguments)
    {
        ProcessStartInfo start = new(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A child build of its own: not the test host's MSBuild settings, no build server left behind.
        foreach (string name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        using Process process = Process.Start(start)!;
        StringBuilder output = new();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using CancellationTokenSource timeout = new(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        output.Append(await stdout).Append(await stderr);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        return output.ToString();
    }
}
