using System.Globalization;
using System.Xml.Linq;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// Draws the console's charts as SVG on the server: horizontal bars (one or more per row) and columns over time. Every text is
/// an XML text node (tool names come from the model: escaped by the writer, never spliced into markup); no script, no style
/// attribute (the page's Content-Security-Policy allows neither), colours by class from console.css. Thread-safe (stateless).
/// </summary>
internal static class SvgChart
{
    private const double Width = 640;
    private const double LabelWidth = 190;
    private const double BarArea = 330;
    private const double BarHeight = 16;
    private const int LabelLength = 26;
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>One bar: its length against the chart's largest value, the text shown beside it, and its series (a CSS class).</summary>
    public sealed record Bar(double Value, string Text, string Series);

    /// <summary>One row of a bar chart: a label and its bars.</summary>
    public sealed record Row(string Label, IReadOnlyList<Bar> Bars);

    /// <summary>One column of a chart over time: its label, the share drawn (0 to 1) and the text of its tooltip.</summary>
    public sealed record Column(string Label, double? Share, string Text);

    public static string Bars(string id, string title, string summary, IReadOnlyList<Row> rows, double? max = null, string empty = "No calls in this window.")
    {
        double top = max ?? Math.Max(1e-9, rows.SelectMany(r => r.Bars).Select(b => b.Value).DefaultIfEmpty(0).Max());
        List<XElement> groups = [];
        double y = 8;
        foreach (Row row in rows)
        {
            double rowHeight = (row.Bars.Count * (BarHeight + 2)) + 8;
            XElement group = new(Svg + "g", new XAttribute("class", "chart-row"), new XAttribute("data-label", row.Label),
                Text(8, y + (rowHeight / 2) + 4, Short(row.Label), "chart-label", row.Label));
            double barY = y + 4;
            foreach (Bar bar in row.Bars)
            {
                double length = top <= 0 ? 0 : Math.Max(bar.Value > 0 ? 1 : 0, bar.Value / top * BarArea);
                group.Add(
                    new XElement(Svg + "rect", new XAttribute("class", $"chart-bar {bar.Series}"), Num("x", LabelWidth), Num("y", barY),
                        Num("width", length), Num("height", BarHeight), new XAttribute("rx", "2"),
                        new XElement(Svg + "title", $"{row.Label}: {bar.Text}")),
                    Text(LabelWidth + length + 6, barY + BarHeight - 3, bar.Text, "chart-value", null));
                barY += BarHeight + 2;
            }

            groups.Add(group);
            y += rowHeight;
        }

        if (rows.Count == 0)
        {
            groups.Add(Text(8, 24, empty, "chart-empty", null));
            y = 36;
        }

        return Document(id, title, summary, y + 8, groups);
    }

    public static string Columns(string id, string title, string summary, IReadOnlyList<Column> columns)
    {
        const double Left = 44, Top = 10, Plot = 160, Bottom = 40;
        double step = columns.Count == 0 ? 0 : Math.Min(48, (Width - Left - 10) / columns.Count);
        List<XElement> parts = [];
        foreach (int percent in new[] { 0, 50, 100 })
        {
            double lineY = Top + Plot - (percent / 100.0 * Plot);
            parts.Add(new XElement(Svg + "line", new XAttribute("class", "chart-grid"), Num("x1", Left), Num("x2", Width - 6), Num("y1", lineY), Num("y2", lineY)));
            parts.Add(Text(Left - 6, lineY + 4, $"{percent}%", "chart-axis end", null));
        }

        int labelEvery = Math.Max(1, (int)Math.Ceiling(columns.Count / 12.0));
        for (int i = 0; i < columns.Count; i++)
        {
            Column column = columns[i];
            double x = Left + (i * step) + 3;
            double height = (column.Share ?? 0) * Plot;
            XElement group = new(Svg + "g", new XAttribute("class", "chart-column"), new XAttribute("data-label", column.Label),
                new XElement(Svg + "rect", new XAttribute("class", column.Share is null ? "chart-bar none" : "chart-bar automated"),
                    Num("x", x), Num("y", Top + Plot - height), Num("width", Math.Max(2, step - 6)), Num("height", height),
                    new XElement(Svg + "title", $"{column.Label}: {column.Text}")));
            if (i % labelEvery == 0)
            {
                group.Add(Text(x + ((step - 6) / 2), Top + Plot + 16, column.Label, "chart-axis middle", null));
            }

            parts.Add(group);
        }

        if (columns.Count == 0)
        {
            parts.Add(Text(Left + 8, Top + (Plot / 2), "No calls in this window.", "chart-empty", null));
        }

        return Document(id, title, summary, Top + Plot + Bottom, parts);
    }

    private static string Document(string id, string title, string summary, double height, IEnumerable<XElement> content)
    {
        XElement svg = new(Svg + "svg",
            new XAttribute("viewBox", $"0 0 {Width.ToString(CultureInfo.InvariantCulture)} {Math.Ceiling(height).ToString(CultureInfo.InvariantCulture)}"),
            new XAttribute("class", "chart"), new XAttribute("role", "img"), new XAttribute("aria-labelledby", $"{id}-title {id}-desc"),
            new XElement(Svg + "title", new XAttribute("id", $"{id}-title"), title),
            new XElement(Svg + "desc", new XAttribute("id", $"{id}-desc"), summary),
            content);
        return svg.ToString(SaveOptions.DisableFormatting);
    }

    private static XElement Text(double x, double y, string text, string cssClass, string? fullText)
    {
        XElement element = new(Svg + "text", Num("x", x), Num("y", y), new XAttribute("class", cssClass), text);
        if (fullText is not null && !string.Equals(fullText, text, StringComparison.Ordinal))
        {
            element.Add(new XElement(Svg + "title", fullText));
        }

        return element;
    }

    private static string Short(string label) => label.Length <= LabelLength ? label : string.Concat(label.AsSpan(0, LabelLength - 1), "…");

    private static XAttribute Num(string name, double value) => new(name, Math.Round(value, 1).ToString(CultureInfo.InvariantCulture));
}
