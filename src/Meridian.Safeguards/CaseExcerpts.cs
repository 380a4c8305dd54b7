using Meridian.Protocol.Messages;

namespace Meridian.Safeguards;

/// <summary>How much of a flagged request a case keeps around each finding (docs/safeguards.md, "Cases").</summary>
public sealed record ExcerptLimits
{
    /// <summary>Chars kept before and after each finding, within the field it was found in.</summary>
    public int ContextChars { get; init; } = 256;

    /// <summary>Chars kept of one finding itself: an external classifier's finding spans a whole text.</summary>
    public int MaxFindingChars { get; init; } = 512;

    /// <summary>Most excerpts a case keeps; further ones are dropped and the set marked truncated.</summary>
    public int MaxExcerpts { get; init; } = 32;

    /// <summary>Most chars of all excerpts together.</summary>
    public int MaxTotalChars { get; init; } = 16 * 1024;
}

/// <summary>
/// One excerpt of a flagged request: the text around one or more findings, within one field of the request.
/// </summary>
/// <param name="Location">The JSON path of the field (<c>messages[3].content[1].text</c>, <c>tools[0].description</c>, <c>system</c>).</param>
/// <param name="Source">Which of the screened texts the field belongs to (system, user, assistant, tool result).</param>
/// <param name="Start">Offset of the excerpt in the field's text (UTF-16 code units).</param>
/// <param name="End">End of the excerpt in the field's text (exclusive).</param>
/// <param name="FieldChars">Length of the whole field, so a reviewer sees how much was not kept.</param>
/// <param name="Findings">The findings (<c>category:kind</c>) inside this excerpt; empty for context without one.</param>
public sealed record Excerpt(string Location, TextSource Source, int Start, int End, int FieldChars, IReadOnlyList<string> Findings, string Text);

/// <summary>The excerpts of a request, whether bounds dropped any, and the length of each screened text.</summary>
public sealed record CaseExcerptSet(IReadOnlyList<Excerpt> Excerpts, bool Truncated, IReadOnlyDictionary<TextSource, int> TextChars);

/// <summary>
/// Cuts the excerpts a Trust &amp; Safety case keeps of a flagged request: the text around each finding that called for
/// review (<see cref="Verdict.Evidence"/>), overlapping windows merged, each labelled with the field it came from —
/// instead of the whole body, which may be 32 MB. Gathers the request's text a second time, so it runs only for flagged
/// requests, off the screening path. Linear in the request's text.
/// </summary>
public static class CaseExcerpts
{
    /// <summary>Most chars of an excerpt's location kept: a path through JSON keys is as long as the keys a client sent.</summary>
    public const int MaxLocationChars = 256;

    public static CaseExcerptSet Build(MessagesRequest request, Verdict verdict, ExcerptLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(verdict);
        limits ??= new ExcerptLimits();
        var segments = new List<TextSegment>();
        var texts = InputText.Collect(request, segments);
        var textChars = new Dictionary<TextSource, int>();
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i] is { } text)
            {
                textChars[InputText.SourceAt(i)] = text.Length;
            }
        }

        var bySource = new List<TextSegment>[texts.Length];
        for (var i = 0; i < bySource.Length; i++)
        {
            bySource[i] = [];
        }

        foreach (var segment in segments)
        {
            bySource[(int)segment.Source].Add(segment);
        }

        var excerpts = new List<Excerpt>();
        var total = 0;
        var truncated = false;
        foreach (var window in Windows(verdict.Evidence, texts, limits))
        {
            var text = texts[(int)window.Source]!;
            var inSource = bySource[(int)window.Source];
            for (var s = FirstEndingAfter(inSource, window.Start); s < inSource.Count && inSource[s].Start < window.End; s++)
            {
                var segment = inSource[s];
                if (excerpts.Count == limits.MaxExcerpts || total >= limits.MaxTotalChars)
                {
                    truncated = true;
                    break;
                }

                var start = Math.Max(window.Start, segment.Start);
                var end = Math.Min(Math.Min(window.End, segment.End), start + (limits.MaxTotalChars - total));
                truncated |= end < Math.Min(window.End, segment.End);
                (start, end) = WholeCharacters(text, start, end);
                if (end <= start)
                {
                    continue;
                }

                var findings = window.Findings.Where(f => f.Start < end && f.End > start).Select(f => f.Label).Distinct().Order(StringComparer.Ordinal).ToList();
                var location = segment.Path.Length <= MaxLocationChars ? segment.Path : segment.Path[..MaxLocationChars] + "…";
                excerpts.Add(new Excerpt(location, window.Source, start - segment.Start, end - segment.Start, segment.Length, findings, text[start..end]));
                total += end - start;
            }
        }

        return new CaseExcerptSet(excerpts, truncated, textChars);
    }

    /// <summary>The first segment (they lie in text order) that ends after <paramref name="position"/>: a binary search.</summary>
    private static int FirstEndingAfter(List<TextSegment> segments, int position)
    {
        int low = 0, high = segments.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (segments[middle].End <= position)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>One window per run of overlapping findings in one text, in text order.</summary>
    private static List<Window> Windows(IReadOnlyList<Evidence> evidence, string?[] texts, ExcerptLimits limits)
    {
        var spans = new List<(TextSource Source, int Start, int End, Labelled Finding)>();
        foreach (var (source, finding) in evidence)
        {
            if (texts[(int)source] is not { } text || finding.Start >= text.Length)
            {
                continue;
            }

            var findingEnd = Math.Min(Math.Min(finding.End, text.Length), finding.Start + limits.MaxFindingChars);
            spans.Add((source, Math.Max(0, finding.Start - limits.ContextChars), Math.Min(text.Length, findingEnd + limits.ContextChars),
                new Labelled(finding.Start, findingEnd, SafeguardNames.Name(finding.Category) + ":" + finding.Kind)));
        }

        var windows = new List<Window>();
        foreach (var span in spans.OrderBy(s => s.Source).ThenBy(s => s.Start))
        {
            if (windows.Count > 0 && windows[^1] is var last && last.Source == span.Source && span.Start <= last.End)
            {
                last.End = Math.Max(last.End, span.End);
                last.Findings.Add(span.Finding);
                continue;
            }

            windows.Add(new Window(span.Source, span.Start, span.End) { Findings = { span.Finding } });
        }

        return windows;
    }

    /// <summary>Moves cut points off the middle of a surrogate pair, so an excerpt is always valid text.</summary>
    private static (int Start, int End) WholeCharacters(string text, int start, int end)
    {
        if (start > 0 && start < text.Length && char.IsLowSurrogate(text[start]))
        {
            start++;
        }

        if (end > 0 && end < text.Length && char.IsLowSurrogate(text[end]))
        {
            end--;
        }

        return (start, end);
    }

    private readonly record struct Labelled(int Start, int End, string Label);

    private sealed class Window(TextSource source, int start, int end)
    {
        public TextSource Source { get; } = source;

        public int Start { get; } = start;

        public int End { get; set; } = end;

        public List<Labelled> Findings { get; } = [];
    }
}
