using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>Finds the tools a resume or a plan runs, by name (tools are never serialized; they are supplied again).</summary>
internal static class ToolLookup
{
    /// <summary>The functions among <paramref name="tools"/>, by name; a later one of the same name wins.</summary>
    public static Dictionary<string, AIFunction> ByName(IEnumerable<AITool>? tools)
    {
        Dictionary<string, AIFunction> byName = new(StringComparer.Ordinal);
        foreach (AITool tool in tools ?? [])
        {
            if (tool is AIFunction function)
            {
                byName[function.Name] = function;
            }
        }

        return byName;
    }
}
