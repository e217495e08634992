using System.Text.RegularExpressions;

namespace HumanInLoop.Tests;

/// <summary>
/// The shape the library keeps (issue 13): small files, no partial classes spread over files to hide size, and one owner of
/// the stored format. Read from the source tree, so a change that breaks the shape fails here rather than in a review.
/// </summary>
public sealed partial class ArchitectureTests
{
    private const int MaxLines = 300;

    private static readonly string s_src = Path.Combine(RepositoryRoot(), "src");

    [Fact]
    public void SourceFiles_AreAtMost300Lines()
    {
        string[] tooLong = [.. SourceFiles()
            .Select(f => (File: f, Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxLines)
            .Select(f => $"{Path.GetRelativePath(s_src, f.File)} ({f.Lines} lines)")];

        Assert.True(tooLong.Length == 0, $"Over {MaxLines} lines: {string.Join("; ", tooLong)}");
    }

    [Fact]
    public void PartialTypes_AreDeclaredInOneFileEach()
    {
        // Source generators ([LoggerMessage], [GeneratedRegex]) need partial types; a type split over files to hide its size does not.
        string[] split = [.. SourceFiles()
            .SelectMany(f => PartialType().Matches(File.ReadAllText(f)).Select(m => (Type: $"{Namespace(f)}.{m.Groups["name"].Value}", File: f)))
            .GroupBy(t => t.Type)
            .Where(g => g.Select(t => t.File).Distinct().Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => Path.GetRelativePath(s_src, t.File)))}")];

        Assert.True(split.Length == 0, $"Partial types split over files: {string.Join("; ", split)}");
    }

    [Theory]
    [InlineData("\"auditTrail\"")]
    [InlineData("\"formatVersion\"")]
    [InlineData("\"approvedFingerprint\"")]
    [InlineData("\"seal\"")]
    public void RecordPropertyNames_AreKnownOnlyToTheFormat(string quotedName)
    {
        // The stored record's JSON belongs to src/HumanInLoop/Format and the types it writes (State/); no other file, and no
        // store package, may read or write it by name.
        string format = Path.Combine(s_src, "HumanInLoop", "Format") + Path.DirectorySeparatorChar;
        string state = Path.Combine(s_src, "HumanInLoop", "State") + Path.DirectorySeparatorChar;
        string[] knowing = [.. SourceFiles()
            .Where(f => !f.StartsWith(format, StringComparison.Ordinal) && !f.StartsWith(state, StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains(quotedName, StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(s_src, f))];

        Assert.True(knowing.Length == 0, $"{quotedName} appears outside the format in: {string.Join("; ", knowing)}");
    }

    [Fact]
    public void TheChecks_SeeTheWholeSourceTree()
    {
        // Guards the tests above against passing on an empty or wrong folder.
        Assert.Contains(SourceFiles(), f => f.EndsWith(Path.Combine("HumanInLoop", "ApprovalService.cs"), StringComparison.Ordinal));
        Assert.Contains(SourceFiles(), f => f.EndsWith(Path.Combine("Format", "PendingApprovalSerializer.cs"), StringComparison.Ordinal));
        Assert.True(SourceFiles().Count() > 100);
    }

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(s_src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string Namespace(string file) =>
        FileNamespace().Match(File.ReadAllText(file)) is { Success: true } m ? m.Groups["ns"].Value : "";

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HumanInLoop.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No HumanInLoop.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"\bpartial\s+(?:class|struct|record|interface)\s+(?<name>\w+)")]
    private static partial Regex PartialType();

    [GeneratedRegex(@"^namespace\s+(?<ns>[\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();
}
