using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HumanInLoop.Internal;

/// <summary>
/// Sets the <see cref="ApprovalOptions"/> that default to what the container holds: its <see cref="TimeProvider"/> and
/// <see cref="IMeterFactory"/>, when registered. Registered by the first <c>AddHumanInLoop</c>, before any configure of the user's.
/// </summary>
internal sealed class ApprovalOptionsFromContainer(IServiceProvider provider) : IConfigureOptions<ApprovalOptions>
{
    public void Configure(ApprovalOptions options)
    {
        if (provider.GetService<TimeProvider>() is { } time)
        {
            options.TimeProvider = time;
        }

        options.MeterFactory = provider.GetService<IMeterFactory>();
    }
}
