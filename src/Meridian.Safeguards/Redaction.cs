using System.Text;

namespace Meridian.Safeguards;

/// <summary>A span to replace with <c>[REDACTED:kind]</c>.</summary>
internal readonly record struct RedactionSpan(int Start, int End, string Kind);

/// <summary>Rewrites text with its redactions applied. Overlapping spans are merged under the first one's kind.</summary>
internal static class Redaction
{
    public const string Prefix = "[REDACTED:";

    /// <summary>Appends <paramref name="text"/>[from..to) to <paramref name="output"/> with the spans (in the same
    /// coordinates, each within [from, to)) replaced.</summary>
    public static void Append(StringBuilder output, ReadOnlySpan<char> text, int from, int to, List<RedactionSpan> spans)
    {
        if (spans.Count == 0)
        {
            output.Append(text[from..to]);
            return;
        }

        spans.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.End.CompareTo(a.End));
        var position = from;
        var i = 0;
        while (i < spans.Count)
        {
            var start = Math.Max(spans[i].Start, position);
            var end = spans[i].End;
            var kind = spans[i].Kind;
            i++;
            while (i < spans.Count && spans[i].Start < end)
            {
                end = Math.Max(end, spans[i].End);
                i++;
            }

            if (end <= position)
            {
                continue;
            }

            output.Append(text[position..start]).Append(Prefix).Append(kind).Append(']');
            position = end;
        }

        output.Append(text[position..to]);
    }

    public static string Apply(string text, List<RedactionSpan> spans)
    {
        if (spans.Count == 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        Append(builder, text, 0, text.Length, spans);
        return builder.ToString();
    }
}
