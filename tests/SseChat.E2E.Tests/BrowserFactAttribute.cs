namespace SseChat.E2E.Tests;

/// <summary>
/// A test that needs Debian's chromium. Without it the test is skipped locally, but runs (and fails) under CI=true, where
/// .ci/services/chromium.sh installs it.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!File.Exists(BrowserFixture.ChromiumPath) && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"{BrowserFixture.ChromiumPath} is not installed (apt-get install chromium, or source .ci/services/chromium.sh start).";
        }
    }
}
