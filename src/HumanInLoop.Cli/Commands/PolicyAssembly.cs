using System.Reflection;
using System.Runtime.Loader;

namespace HumanInLoop.Cli.Commands;

/// <summary>
/// Loads the candidate policies for <c>replay</c> from a .NET assembly. The convention: a public static property, or a public
/// static method without parameters, on a public type, whose type is assignable to <c>IEnumerable&lt;IApprovalPolicy&gt;</c>
/// (for example <c>public static IEnumerable&lt;IApprovalPolicy&gt; Candidates =&gt; [ApprovalPolicy.Allow("transfer")];</c>). Exactly
/// one such member, or the one <c>--member Namespace.Type.Member</c> names.
/// </summary>
/// <remarks>
/// The assembly gets its own load context; HumanInLoop and every assembly the tool itself ships with come from the tool, so
/// <see cref="IApprovalPolicy"/> is one type on both sides. Its other dependencies are looked for next to it.
/// </remarks>
internal static class PolicyAssembly
{
    public static IReadOnlyList<IApprovalPolicy> Load(string path, string? memberName)
    {
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw CliException.Policies($"No policies assembly at '{fullPath}'.");
        }

        Assembly assembly;
        try
        {
            assembly = new PolicyLoadContext(fullPath).LoadFromAssemblyPath(fullPath);
        }
        catch (Exception exception) when (exception is BadImageFormatException or FileLoadException)
        {
            throw CliException.Policies($"'{fullPath}' is not a .NET assembly this tool can load: {exception.Message}", exception);
        }

        List<MemberInfo> sources = Sources(assembly);
        MemberInfo source = memberName is null
            ? sources.Count == 1 ? sources[0] : throw CliException.Policies(sources.Count == 0
                ? $"'{Path.GetFileName(fullPath)}' has no public static property or parameterless method returning IEnumerable<IApprovalPolicy>."
                : $"'{Path.GetFileName(fullPath)}' has several policy sources; pick one with --member: {string.Join(", ", sources.Select(Name))}.")
            : sources.FirstOrDefault(m => Name(m) == memberName) ?? throw CliException.Policies(
                $"No policy source '{memberName}' in '{Path.GetFileName(fullPath)}'; found: {(sources.Count == 0 ? "none" : string.Join(", ", sources.Select(Name)))}.");

        try
        {
            object? value = source is PropertyInfo property ? property.GetValue(null) : ((MethodInfo)source).Invoke(null, null);
            IApprovalPolicy[] policies = [.. (IEnumerable<IApprovalPolicy>?)value ?? []];
            return policies.Length == 0 || policies.Any(p => p is null)
                ? throw CliException.Policies($"{Name(source)} returned no policies (or a null one).")
                : policies;
        }
        catch (TargetInvocationException exception)
        {
            throw CliException.Policies($"{Name(source)} threw: {exception.InnerException?.Message}", exception.InnerException);
        }
    }

    private static List<MemberInfo> Sources(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception exception) when (exception is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        {
            throw CliException.Policies($"The types of '{assembly.GetName().Name}' cannot be loaded (a dependency is missing?): {exception.Message}", exception);
        }

        const BindingFlags Flags = BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return [.. types.Where(t => !t.IsGenericTypeDefinition).SelectMany(t => t.GetMembers(Flags)).Where(m => m switch
        {
            PropertyInfo p => p.GetIndexParameters().Length == 0 && p.GetMethod is { IsPublic: true } && IsPolicies(p.PropertyType),
            MethodInfo method => !method.IsSpecialName && !method.IsGenericMethodDefinition && method.GetParameters().Length == 0 && IsPolicies(method.ReturnType),
            _ => false,
        }).OrderBy(Name, StringComparer.Ordinal)];
    }

    private static bool IsPolicies(Type type) => typeof(IEnumerable<IApprovalPolicy>).IsAssignableFrom(type);

    private static string Name(MemberInfo member) => $"{member.DeclaringType!.FullName}.{member.Name}";

    private sealed class PolicyLoadContext(string mainPath) : AssemblyLoadContext($"replay policies: {Path.GetFileName(mainPath)}", isCollectible: true)
    {
        private readonly AssemblyDependencyResolver? _resolver = CreateResolver(mainPath);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            // What the tool ships (HumanInLoop, Microsoft.Extensions.AI, ...) is shared, so the policy types match the tool's.
            if (File.Exists(Path.Combine(AppContext.BaseDirectory, assemblyName.Name + ".dll")))
            {
                return null;
            }

            string? path = _resolver?.ResolveAssemblyToPath(assemblyName)
                ?? Path.Combine(Path.GetDirectoryName(mainPath)!, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        private static AssemblyDependencyResolver? CreateResolver(string path)
        {
            try
            {
                return new AssemblyDependencyResolver(path);
            }
            catch (InvalidOperationException)
            {
                return null; // no host to read a .deps.json with: look next to the assembly only
            }
        }
    }
}
