using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Meridian.Protocol.Streaming;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Policies;

namespace Meridian.Safeguards.Streaming;

/// <summary>
/// Screens one streamed answer as it flows, over a sliding window, without holding the answer back.
/// </summary>
/// <remarks>
/// <para>Text deltas go into a window; once more than <see cref="Screener.WindowChars"/> chars (or the longest match of a
/// deployment's blocklist, if longer) are held, the windowed
/// (built-in) classifiers scan it and everything but the last <c>WindowChars</c> is released — no match can start there
/// and still be incomplete, since no match is longer than the window. A match split across two deltas is therefore
/// seen whole. A redactable match that crosses the release point is held back whole (so up to twice the window may
/// wait for a moment) and released as <c>[REDACTED:kind]</c>. A few chars of released text stay in front of the window
/// as context (word boundaries, quotation marks) but are never released twice.</para>
/// <para>Any other event (block stop, message delta, …) first releases everything held for the block, so event order
/// is kept; pings pass straight through. When nothing is redacted the released deltas concatenate to exactly the
/// original text, though split at different places.</para>
/// <para>A <c>block</c> ends the stream: the held text is dropped, an <see cref="ErrorEvent"/> from
/// <see cref="SafeguardErrors.OutputBlocked"/> is the last event, and the upstream enumerator is disposed (which
/// cancels the backend). A <c>flag</c> or <c>annotate</c> lets the text through and is recorded in
/// <see cref="Verdict"/>.</para>
/// <para>External classifiers (an <see cref="HttpClassifier"/>) would be far too slow per window: they see the released
/// text in segments of <see cref="ScreenerOptions.StreamSegmentChars"/> and at the end of each block, before that
/// segment's last piece is released; a block from them ends the stream but cannot take back what was sent earlier.</para>
/// <para>Tool-use input JSON is passed through unscreened here (it is screened as input on the next turn).</para>
/// <para>Not thread-safe; one instance per response, enumerated once.</para>
/// </remarks>
public sealed class StreamScreener
{
    private readonly Screener _screener;
    private readonly SafeguardPolicy _policy;
    private readonly IClassifier[] _windowed;
    private readonly IClassifier[] _segmented;

    /// <summary>The screener's window, or longer when one of the extra classifiers can match more (a deployment's blocklist).</summary>
    private readonly int _windowChars;
    private readonly VerdictBuilder _verdict = new();
    private readonly List<RedactionSpan> _redactions = [];
    private readonly List<RedactionSpan> _applied = [];
    private readonly StringBuilder _release = new();
    private StringBuilder? _segment;
    private char[] _buffer = [];
    private int _context;
    private int _length;
    private int _blockIndex = -1;
    private bool _holdingWord;
    private bool _started;
    private Verdict? _final;

    internal StreamScreener(Screener screener, SafeguardPolicy policy, IReadOnlyList<IClassifier> extra)
    {
        _screener = screener;
        _policy = policy;
        IClassifier[] classifiers = [.. screener.ClassifiersFor(policy), .. extra];
        _windowChars = extra.OfType<IWindowedClassifier>().Select(c => c.MaxMatchChars).Append(screener.WindowChars).Max();
        _windowed = [.. classifiers.Where(c => c is IWindowedClassifier)];
        _segmented = [.. classifiers.Where(c => c is not IWindowedClassifier)];
        foreach (var classifier in classifiers)
        {
            _verdict.AddClassifier(classifier.Name);
        }
    }

    /// <summary>The verdict so far; final once the enumeration has ended (completed, blocked, failed or abandoned).</summary>
    public Verdict Verdict => _final ?? _verdict.Build(_policy.Name);

    /// <summary>Whether the text released differs from the text received: something was redacted, or the stream was blocked.</summary>
    public bool Altered { get; private set; }

    /// <summary>Whether the enumeration has ended.</summary>
    public bool Completed => _final is not null;

    /// <summary>Chars of output currently held back (not yet released to the client).</summary>
    public int HeldChars => _length - _context;

    /// <summary>The most chars held back after any release step: at most the window, up to twice it while a
    /// redactable match straddles the release point, or the window and a word of up to
    /// <see cref="PiiClassifier.MaxHeldWordChars"/> held back whole.</summary>
    public int MaxHeldChars { get; private set; }

    /// <summary>Wraps the backend's events: same events, text screened. Enumerate once.</summary>
    public async IAsyncEnumerable<StreamEvent> ScreenAsync(
        IAsyncEnumerable<StreamEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (_started)
        {
            throw new InvalidOperationException("A stream screener screens one stream; create another for the next response.");
        }

        _started = true;
        try
        {
            await foreach (var item in events.WithCancellation(cancellationToken))
            {
                Step step;
                if (item is TextDeltaEvent delta)
                {
                    if (delta.Index != _blockIndex && _blockIndex >= 0)
                    {
                        // A new text block without a stop in between: finish the previous block first.
                        step = await ReleaseAsync(final: true, cancellationToken);
                        if (step.Text is not null)
                        {
                            yield return new TextDeltaEvent(_blockIndex, step.Text);
                        }

                        if (step.Error is not null)
                        {
                            yield return step.Error;
                            yield break;
                        }

                        ResetBlock();
                    }

                    _blockIndex = delta.Index;
                    Append(delta.Text);
                    if (HeldChars <= _windowChars + _screener.Options.StreamMinReleaseChars || ExtendsHeldWord(delta.Text))
                    {
                        continue;
                    }

                    step = await ReleaseAsync(final: false, cancellationToken);
                    if (step.Text is not null)
                    {
                        yield return new TextDeltaEvent(delta.Index, step.Text);
                    }

                    if (step.Error is not null)
                    {
                        yield return step.Error;
                        yield break;
                    }

                    continue;
                }

                if (item is PingEvent)
                {
                    yield return item;
                    continue;
                }

                // Any other event ends what came before it: release the held text first so order is kept.
                step = await ReleaseAsync(final: true, cancellationToken);
                if (step.Text is not null)
                {
                    yield return new TextDeltaEvent(_blockIndex, step.Text);
                }

                if (step.Error is not null)
                {
                    yield return step.Error;
                    yield break;
                }

                if (item is ContentBlockStopEvent or ContentBlockStartEvent)
                {
                    ResetBlock();
                }

                yield return item;
            }

            var last = await ReleaseAsync(final: true, cancellationToken);
            if (last.Text is not null)
            {
                yield return new TextDeltaEvent(_blockIndex, last.Text);
            }

            if (last.Error is not null)
            {
                yield return last.Error;
            }
        }
        finally
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<char>.Shared.Return(_buffer);
                _buffer = [];
            }

            _length = 0;
            _context = 0;
            _final = _verdict.Build(_policy.Name);
        }
    }

    private void Append(string text)
    {
        if (_length + text.Length > _buffer.Length)
        {
            var grown = ArrayPool<char>.Shared.Rent(Math.Max(_length + text.Length, Math.Max(256, _buffer.Length * 2)));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            if (_buffer.Length > 0)
            {
                ArrayPool<char>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        text.CopyTo(_buffer.AsSpan(_length));
        _length += text.Length;
    }

    private void ResetBlock()
    {
        _length = 0;
        _context = 0;
    }

    /// <summary>
    /// Scans the window and releases what can no longer be part of a match (everything when <paramref name="final"/>),
    /// redacted; or blocks.
    /// </summary>
    private async ValueTask<Step> ReleaseAsync(bool final, CancellationToken cancellationToken)
    {
        string? text = null;
        if (HeldChars > 0)
        {
            var releaseEnd = final ? _length : _length - _windowChars;
            _redactions.Clear();
            var blocked = false;
            foreach (var classifier in _windowed)
            {
                var result = await _screener.ClassifyAsync(classifier, new ScreeningText(_buffer.AsMemory(0, _length), TextSource.Output), cancellationToken);
                if (result.IsUnavailable)
                {
                    _screener.Apply(_verdict, _policy, ScreeningStage.Output, classifier, result, redactions: null);
                    blocked |= _verdict.Action == SafeguardAction.Block;
                    continue;
                }

                foreach (var found in result.Findings)
                {
                    if (found.End <= _context)
                    {
                        continue; // wholly in released context: dealt with when it was released
                    }

                    var finding = found.Start >= _context ? found : found with { Start = _context, Length = found.End - _context };
                    var action = Screener.ActionFor(_policy, ScreeningStage.Output, finding);
                    _verdict.AddFinding(finding, action);
                    blocked |= action == SafeguardAction.Block;
                    if (action == SafeguardAction.Redact)
                    {
                        _redactions.Add(new RedactionSpan(finding.Start, finding.End, finding.Kind));
                    }
                }
            }

            if (blocked)
            {
                return Block();
            }

            if (!final)
            {
                // A redactable match crossing the release point may still grow: hold it back whole.
                bool moved;
                do
                {
                    moved = false;
                    foreach (var span in _redactions)
                    {
                        if (span.Start < releaseEnd && span.End > releaseEnd)
                        {
                            releaseEnd = span.Start;
                            moved = true;
                        }
                    }
                }
                while (moved);

                releaseEnd = HoldWord(releaseEnd);
                if (releaseEnd > _context && char.IsHighSurrogate(_buffer[releaseEnd - 1]))
                {
                    releaseEnd--; // never split a surrogate pair across two deltas
                }
            }

            if (releaseEnd > _context)
            {
                _applied.Clear();
                foreach (var span in _redactions)
                {
                    if (span.End <= releaseEnd)
                    {
                        _applied.Add(span);
                    }
                }

                Altered |= _applied.Count > 0;
                _release.Clear();
                Redaction.Append(_release, _buffer.AsSpan(0, _length), _context, releaseEnd, _applied);
                text = _release.ToString();

                // Slide: keep a little released text as context, then what is still held.
                var keepFrom = Math.Max(0, releaseEnd - _screener.Options.StreamContextChars);
                Array.Copy(_buffer, keepFrom, _buffer, 0, _length - keepFrom);
                _length -= keepFrom;
                _context = releaseEnd - keepFrom;
            }

            MaxHeldChars = Math.Max(MaxHeldChars, HeldChars);
        }

        if (_segmented.Length > 0)
        {
            if (text is not null)
            {
                (_segment ??= new StringBuilder()).Append(text);
            }

            if (_segment is { Length: > 0 } && (final || _segment.Length >= _screener.Options.StreamSegmentChars))
            {
                var segment = _segment.ToString();
                _segment.Clear();
                foreach (var classifier in _segmented)
                {
                    var result = await _screener.ClassifyAsync(classifier, new ScreeningText(segment, TextSource.Output), cancellationToken);
                    _screener.Apply(_verdict, _policy, ScreeningStage.Output, classifier, result, redactions: null);
                }

                if (_verdict.Action == SafeguardAction.Block)
                {
                    return Block();
                }
            }
        }

        return new Step(text, null);
    }

    /// <summary>
    /// A word (a key, a JWT, a path, a URL) that crosses the release point is held back whole, up to
    /// <see cref="PiiClassifier.MaxHeldWordChars"/>: the classifiers then judge it from its own start, as in a request, and
    /// a secret in it is redacted whole — released piecemeal, a token was judged from wherever the window cut it, and
    /// only its unreleased tail could be redacted (issue 15: <c>…/tasks/btcy65k[REDACTED:secret].out…</c>).
    /// </summary>
    private int HoldWord(int releaseEnd)
    {
        _holdingWord = false;
        if (releaseEnd <= _context || releaseEnd >= _length
            || !PiiClassifier.IsWordChar(_buffer[releaseEnd - 1]) || !PiiClassifier.IsWordChar(_buffer[releaseEnd]))
        {
            return releaseEnd;
        }

        var start = releaseEnd - 1;
        while (start > _context && PiiClassifier.IsWordChar(_buffer[start - 1]))
        {
            start--;
        }

        var end = releaseEnd;
        while (end < _length && PiiClassifier.IsWordChar(_buffer[end]))
        {
            end++;
        }

        // A word that began in released text was already too long to hold: it goes on in slices.
        if ((start == _context && start > 0 && PiiClassifier.IsWordChar(_buffer[start - 1])) || end - start > PiiClassifier.MaxHeldWordChars)
        {
            return releaseEnd;
        }

        // Nor does holding a word cut a release step (StreamMinReleaseChars) short: then nothing goes out until it ends.
        _holdingWord = end == _length;
        return start - _context < _screener.Options.StreamMinReleaseChars ? _context : start;
    }

    /// <summary>Whether a delta only lengthens the word held back whole: nothing more can be released until it ends, so
    /// the window is not scanned again (scanning it per delta would cost the word's length each time).</summary>
    private bool ExtendsHeldWord(string delta)
    {
        if (!_holdingWord || HeldChars > _windowChars + PiiClassifier.MaxHeldWordChars)
        {
            return false;
        }

        foreach (var c in delta)
        {
            if (!PiiClassifier.IsWordChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private Step Block()
    {
        Altered = true;
        var verdict = _verdict.Build(_policy.Name);
        SafeguardsLog.OutputBlocked(_screener.Logger, _policy.Name, verdict.Compact);
        _length = 0;
        _context = 0;
        return new Step(null, SafeguardErrors.OutputBlocked(verdict));
    }

    private readonly record struct Step(string? Text, ErrorEvent? Error);
}
