namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One chart of the console's report: the SVG drawn on the server, and the same figures as a table for screen readers.</summary>
/// <param name="Id">A stable id (<c>automation-over-time</c>, <c>automation-by-tool</c>, ...).</param>
/// <param name="Title">The chart's title.</param>
/// <param name="Summary">One sentence that says what the chart shows (also the SVG's description).</param>
/// <param name="Svg">The chart as an SVG document (no script, no style attribute).</param>
/// <param name="Columns">The table's column headings.</param>
/// <param name="Rows">The table's rows: the first cell names the row, the others hold its figures as text.</param>
internal sealed record ConsoleChart(string Id, string Title, string Summary, string Svg, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);
