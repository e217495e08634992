using Microsoft.Playwright;

namespace SseChat.E2E.Tests;

/// <summary>
/// Screenshots of the approver's console: always into the test output's artifacts folder, and into docs/images of the repository
/// when HUMANINLOOP_UPDATE_SCREENSHOTS=1 (run the console tests with it to refresh the pictures the docs show).
/// </summary>
internal static class Screenshots
{
    public static async Task SaveAsync(IPage page, string fileName)
    {
        string artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        byte[] image = await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, fileName), FullPage = true });
        if (Environment.GetEnvironmentVariable("HUMANINLOOP_UPDATE_SCREENSHOTS") == "1" && RepositoryRoot() is { } root)
        {
            string images = Path.Combine(root, "docs", "images");
            Directory.CreateDirectory(images);
            await File.WriteAllBytesAsync(Path.Combine(images, fileName), image);
        }
    }

    private static string? RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HumanInLoop.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
