using System.Runtime.CompilerServices;
using System.Text;
using Meridian.Protocol;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Keeps a bounded copy of an answer's raw text — before redaction, including what a block withheld, which is what a
/// reviewer needs to see — in memory only until the request's record is built: sealed into the case when the request
/// is flagged, dropped otherwise. One per request; not shared.
/// </summary>
internal sealed class ReviewCaptureBackend(IInferenceBackend inner, int maxChars) : DelegatingBackend(inner)
{
    private StringBuilder? _captured;

    /// <summary>The captured text, or null when the answer had none.</summary>
    public string? Text => _captured?.ToString();

    /// <summary>Whether the answer was longer than what was kept.</summary>
    public bool Truncated { get; private set; }

    public override async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var streamEvent in Inner.StreamAsync(call, cancellationToken).WithCancellation(cancellationToken))
        {
            if (streamEvent is TextDeltaEvent delta)
            {
                Keep(delta.Text);
            }

            yield return streamEvent;
        }
    }

    /// <summary>Drops the copy: nothing of the answer stays in memory once the record is built.</summary>
    public void Clear()
    {
        _captured?.Clear();
        _captured = null;
    }

    private void Keep(string text)
    {
        _captured ??= new StringBuilder();
        var room = maxChars - _captured.Length;
        if (text.Length <= room)
        {
            _captured.Append(text);
            return;
        }

        _captured.Append(text, 0, Math.Max(0, room));
        Truncated = true;
    }
}
