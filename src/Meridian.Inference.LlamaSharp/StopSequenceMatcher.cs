using System.Text;

namespace Meridian.Inference.LlamaSharp;

/// <summary>
/// Finds stop sequences in text that arrives a token at a time. Text that could still be the start of a stop sequence is
/// held back until the next piece decides it, so a match spanning tokens is found and none of it is ever emitted.
/// One per request; not thread-safe.
/// </summary>
internal sealed class StopSequenceMatcher
{
    private readonly string[] _sequences;
    private readonly StringBuilder _pending = new();

    /// <param name="sequences">Stop sequences in priority order (the client's first, then the prompt format's own); empty
    /// strings are never matched.</param>
    public StopSequenceMatcher(IReadOnlyList<string> sequences)
    {
        _sequences = [.. sequences];
    }

    /// <summary>
    /// Adds decoded text. Returns the text that is now safe to emit and, when a stop sequence completed, its index in the
    /// list given to the constructor (the text before it is returned; it and anything after are dropped).
    /// </summary>
    public string Push(string piece, out int matched)
    {
        _pending.Append(piece);
        matched = -1;
        var text = _pending.ToString();
        var earliest = int.MaxValue;
        for (var i = 0; i < _sequences.Length; i++)
        {
            var sequence = _sequences[i];
            if (sequence.Length == 0)
            {
                continue;
            }

            var at = text.IndexOf(sequence, StringComparison.Ordinal);
            if (at >= 0 && at < earliest)
            {
                earliest = at;
                matched = i;
            }
        }

        if (matched >= 0)
        {
            var before = text[..earliest];
            _pending.Clear();
            return before;
        }

        return Drain(text.Length - HeldBack(text));
    }

    public string Sequence(int index) => _sequences[index];

    /// <summary>The text still held back (a possible but unfinished stop sequence), at the end of generation.</summary>
    public string Flush() => Drain(_pending.Length);

    /// <summary>The length of the longest end of <paramref name="text"/> that begins some stop sequence.</summary>
    private int HeldBack(string text)
    {
        var held = 0;
        foreach (var sequence in _sequences)
        {
            for (var length = Math.Min(sequence.Length - 1, text.Length); length > held; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(sequence.AsSpan(0, length)))
                {
                    held = length;
                    break;
                }
            }
        }

        // Never split a surrogate pair between two deltas.
        var cut = text.Length - held;
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
        {
            held++;
        }

        return held;
    }

    private string Drain(int count)
    {
        if (count <= 0)
        {
            return string.Empty;
        }

        var emitted = _pending.ToString(0, count);
        _pending.Remove(0, count);
        return emitted;
    }
}
