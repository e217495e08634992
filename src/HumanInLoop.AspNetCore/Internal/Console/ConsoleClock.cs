using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The clock <c>AddHumanInLoop</c> gives the <see cref="ApprovalService"/> (a registered <see cref="TimeProvider"/>), so the console's ages and windows mean what the gate means.</summary>
internal static class ConsoleClock
{
    public static DateTimeOffset Now(HttpContext http) => (http.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
}
