namespace HumanInLoop.Internal;

/// <summary>One numbered step of a store's schema: what it brings (recorded in the version table) and its statements.</summary>
/// <param name="Description">What the step brings.</param>
/// <param name="Statements">The statements, run in order in the upgrade's transaction.</param>
internal sealed record SchemaMigration(string Description, params string[] Statements);
