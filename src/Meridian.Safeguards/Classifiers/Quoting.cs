namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// Whether spans of one text sit inside quotation marks on their own line (dialogue, a quoted example), asked for the
/// findings of a classifier in order of their start. It reads the text once: a sweep carries the quotation state of the
/// current line forward from one finding to the next, and the search for a closing quote after a span remembers where
/// it stopped. Asking each finding afresh (scan back to the line's start, then forward to its end) made a long line of
/// threats after an opening ‘ quadratic (776 KB took 10 s, issue 15).
/// </summary>
/// <remarks>
/// JSON syntax is not speech: a double-quoted JSON key or value (opened after <c>{</c>, <c>[</c>, <c>"…":</c> or
/// <c>"…",</c>) does not make what it holds "quoted", so a threat in a tool result or a pasted JSON document is judged as
/// if it stood alone. An escaped quote inside such a string (<c>\"</c>) is speech again.
/// </remarks>
internal ref struct Quoting
{
    private readonly ReadOnlySpan<char> _text;

    // The sweep: the quotation state of [_lineStart, _position).
    private int _position;
    private int _lineStart;
    private bool _inDouble;
    private bool _doubleIsJson;
    private bool _inEscaped;
    private int _curlyOpen;

    // The search for a closing single quote: from _closerFrom, it found _closer (or -1: none before _closerStop, the
    // line's end).
    private int _closerFrom;
    private int _closerStop;
    private int _closer;

    public Quoting(ReadOnlySpan<char> text)
    {
        _text = text;
        _closerFrom = -1;
    }

    /// <summary>Chars read so far, the work measure of <see cref="Protocol.WorkBudget"/>.</summary>
    public long Reads { get; private set; }

    /// <summary>
    /// Whether text[<paramref name="start"/>..<paramref name="end"/>) is quoted. Calls must come in order of
    /// <paramref name="start"/> (equal starts are fine): sort the findings first.
    /// </summary>
    public bool IsQuoted(int start, int end)
    {
        Advance(start);

        // Straight double quotes: one open (that is not JSON syntax); curly ones: an opening one unclosed.
        if ((_inDouble && !_doubleIsJson) || _inEscaped || _curlyOpen > 0)
        {
            return true;
        }

        // A single quote or backtick right before the span (after optional spaces), opening it: 'ignore all ...'.
        var before = start - 1;
        while (before >= _lineStart && _text[before] == ' ')
        {
            before--;
        }

        Reads += start - before;

        var opens = before >= _lineStart
            && _text[before] is '\'' or '\u2018' or '`'
            && (before == _lineStart || !char.IsLetterOrDigit(_text[before - 1]));
        return opens && NextCloser(end) >= 0;
    }

    /// <summary>Reads [_position, <paramref name="start"/>) into the quotation state.</summary>
    private void Advance(int start)
    {
        Reads += Math.Max(0, start - _position);
        for (; _position < start; _position++)
        {
            switch (_text[_position])
            {
                case '\n':
                    _lineStart = _position + 1;
                    _inDouble = _doubleIsJson = _inEscaped = false;
                    _curlyOpen = 0;
                    break;
                case '"' when _inDouble && _doubleIsJson && IsEscaped(_position):
                    _inEscaped = !_inEscaped;
                    break;
                case '"' when _inDouble:
                    _inDouble = _inEscaped = false;
                    break;
                case '"':
                    _inDouble = true;
                    _doubleIsJson = OpensJsonString(_position);
                    break;
                case '\u201C' or '\u00AB':
                    _curlyOpen++;
                    break;
                case '\u201D' or '\u00BB':
                    _curlyOpen = Math.Max(0, _curlyOpen - 1);
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>A quote preceded by an odd run of backslashes. The runs before different quotes do not overlap.</summary>
    private bool IsEscaped(int quote)
    {
        var backslashes = 0;
        for (var i = quote - 1; i >= _lineStart && _text[i] == '\\'; i--)
        {
            backslashes++;
        }

        Reads += backslashes + 1;
        return backslashes % 2 == 1;
    }

    /// <summary>A double quote that opens a JSON key or value: after <c>{</c> or <c>[</c>, after a key's colon
    /// (<c>"key":</c>), or after the comma that follows a value (<c>"a", "b"</c>, <c>1, "b"</c>, <c>], "b"</c>).</summary>
    private readonly bool OpensJsonString(int quote)
    {
        var before = PreviousNonSpace(quote);
        if (before < 0)
        {
            return false;
        }

        switch (_text[before])
        {
            case '{' or '[':
                return true;
            case ':':
                var key = PreviousNonSpace(before);
                return key >= 0 && _text[key] == '"';
            case ',':
                var value = PreviousNonSpace(before);
                return value >= 0 && (_text[value] is '"' or ']' or '}' || char.IsAsciiDigit(_text[value]) || EndsJsonLiteral(value));
            default:
                return false;
        }
    }

    private readonly bool EndsJsonLiteral(int last)
    {
        var prefix = _text[_lineStart..(last + 1)];
        return prefix.EndsWith("true", StringComparison.Ordinal) || prefix.EndsWith("false", StringComparison.Ordinal) || prefix.EndsWith("null", StringComparison.Ordinal);
    }

    /// <summary>The index of the last char before <paramref name="index"/> on its line that is not white space, or -1.
    /// Reads at most a few chars: JSON is indented with a handful of spaces, and a longer gap is not JSON syntax.</summary>
    private readonly int PreviousNonSpace(int index)
    {
        const int MaxGap = 16;
        for (var i = index - 1; i >= _lineStart && index - i <= MaxGap; i--)
        {
            if (_text[i] is not (' ' or '\t' or '\r'))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The first closing single quote or backtick at or after <paramref name="from"/> on its line, or -1.</summary>
    private int NextCloser(int from)
    {
        if (_closerFrom >= 0 && from >= _closerFrom && from <= _closerStop)
        {
            return _closer;
        }

        // A span ending before the last search's start (a shorter finding at the same place): read only up to it.
        var limit = _closerFrom >= 0 && from < _closerFrom ? _closerFrom : _text.Length;
        for (var i = from; i < limit; i++)
        {
            Reads++;
            switch (_text[i])
            {
                case '\'' or '\u2019' or '`':
                    return Remember(from, i, i);
                case '\n':
                    return Remember(from, i, -1);
                default:
                    break;
            }
        }

        return limit == _text.Length ? Remember(from, _text.Length, -1) : Remember(from, _closerStop, _closer);
    }

    private int Remember(int from, int stop, int closer)
    {
        _closerFrom = from;
        _closerStop = stop;
        _closer = closer;
        return closer;
    }
}
