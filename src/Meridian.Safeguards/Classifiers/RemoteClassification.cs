using System.Text.Json;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// What every classifier behind HTTP shares: one deadline for the whole text however many pieces it is sent in, and one
/// reading of failure — a timeout, a refused or failed call, an answer that does not parse — as "unavailable", never as
/// "safe", so the policy decides between failing open and closed.
/// </summary>
internal static class RemoteClassification
{
    /// <summary>
    /// Asks <paramref name="askPiece"/> about <paramref name="text"/> in pieces of at most <paramref name="maxChars"/>
    /// (piece, its offset, the findings so far; it returns why the answer is unusable, or null), within
    /// <paramref name="timeout"/> on <paramref name="time"/>.
    /// </summary>
    public static async ValueTask<ClassifierResult> InPiecesAsync(
        ScreeningText text,
        int maxChars,
        TimeSpan timeout,
        TimeProvider time,
        Func<ReadOnlyMemory<char>, int, List<Finding>, CancellationToken, Task<string?>> askPiece,
        CancellationToken cancellationToken)
    {
        if (text.Text.IsEmpty)
        {
            return ClassifierResult.None;
        }

        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var findings = new List<Finding>();
        try
        {
            for (var offset = 0; offset < text.Text.Length; offset += maxChars)
            {
                var piece = text.Text.Slice(offset, Math.Min(maxChars, text.Text.Length - offset));
                if (await askPiece(piece, offset, findings, linked.Token) is { } failure)
                {
                    return ClassifierResult.Unavailable(failure);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ClassifierResult.Unavailable("timeout");
        }
        catch (HttpRequestException ex)
        {
            return ClassifierResult.Unavailable(ex.StatusCode is { } status ? $"http_{(int)status}" : "connection_failed");
        }
        catch (JsonException)
        {
            return ClassifierResult.Unavailable("invalid_response");
        }

        return ClassifierResult.Of(findings);
    }
}
