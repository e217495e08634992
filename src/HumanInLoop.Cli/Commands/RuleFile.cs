using System.Text.Json;
using HumanInLoop.Rules;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Cli.Commands;

/// <summary>
/// Loads a candidate rule file for <c>replay --rules</c> (HumanInLoop.Rules, docs/policies.md "Rules in configuration"), checked
/// as a host checks it at start against the tools' JSON schemas, which come from a tools file (<c>--tools</c>).
/// </summary>
internal static class RuleFile
{
    public const string ToolsConvention = """
        The tools file holds the tools the rules may name, with their JSON schemas: a JSON array of objects with "name",
        optionally "description", and the schema as "inputSchema" (as MCP's tools/list gives it) or "parameters" (as OpenAI's
        function tools give it), or an object whose "tools" property is that array.
        """;

    public static IApprovalPolicy Load(string rulesPath, string? toolsPath)
    {
        if (toolsPath is null)
        {
            throw CliException.Usage("replay --rules needs --tools: the rules are checked against the tools' JSON schemas." + Environment.NewLine + ToolsConvention);
        }

        AIFunctionDeclaration[] tools = Tools(Path.GetFullPath(toolsPath));
        string fullPath = Path.GetFullPath(rulesPath);
        try
        {
            return ApprovalRuleSet.FromFile(fullPath, tools);
        }
        catch (ApprovalRulesException exception)
        {
            throw CliException.Policies($"The rules in '{fullPath}' are refused:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", exception.Problems)}", exception);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw CliException.Policies($"The rules file '{fullPath}' cannot be read: {exception.Message}", exception);
        }
    }

    private static AIFunctionDeclaration[] Tools(string path)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement root = document.RootElement;
            JsonElement list = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("tools", out JsonElement tools) ? tools : root;
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(path, "it is neither an array of tools nor an object with a \"tools\" array.");
            }

            return [.. list.EnumerateArray().Select((tool, i) => Tool(path, tool, i))];
        }
        catch (JsonException exception)
        {
            throw Invalid(path, $"it is not JSON: {exception.Message}");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw CliException.Policies($"The tools file '{path}' cannot be read: {exception.Message}", exception);
        }
    }

    private static AIFunctionDeclaration Tool(string path, JsonElement tool, int index)
    {
        if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String ||
            string.IsNullOrWhiteSpace(name.GetString()))
        {
            throw Invalid(path, $"tool {index} has no \"name\".");
        }

        JsonElement schema = tool.TryGetProperty("inputSchema", out JsonElement input) ? input
            : tool.TryGetProperty("parameters", out JsonElement parameters) ? parameters
            : throw Invalid(path, $"tool '{name.GetString()}' has no \"inputSchema\" or \"parameters\".");
        string? description = tool.TryGetProperty("description", out JsonElement text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
        return AIFunctionFactory.CreateDeclaration(name.GetString()!, description, schema.Clone());
    }

    private static CliException Invalid(string path, string problem) =>
        CliException.Policies($"The tools file '{path}' is not valid: {problem}" + Environment.NewLine + ToolsConvention);
}
