using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Streaming;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;

namespace Meridian.Gateway.Http;

/// <summary>
/// Kestrel answers a request it cannot parse (a control character or a bad line among the headers, a request line it
/// cannot read, headers or a target too long, headers that never finish arriving) itself, before any middleware runs:
/// an empty 400/408/414/431 with no <c>request-id</c>, then it closes the connection. It has no hook for that answer,
/// so this connection middleware sits between Kestrel and the socket on the API listener and puts an Anthropic-shaped
/// error with a request id in its place (issue 15: every refusal, "including those raised by the HTTP layer").
/// </summary>
/// <remarks>
/// <para>How it tells Kestrel's answer from the application's: the outermost middleware counts, per connection, the
/// requests the application has started and those whose response has completed (<see cref="Track"/>). HTTP/1.1 answers
/// one request at a time, so a response that starts while every started request has completed can only be Kestrel's
/// own. If that bookkeeping were ever late, the effect is Kestrel's empty answer going out unchanged, never an
/// application answer being replaced.</para>
/// <para>HTTP/2 is not touched: Kestrel refuses a malformed HTTP/2 header by resetting the stream or the connection
/// (a PROTOCOL_ERROR frame), which carries no status or body to shape; over plain TCP the listener speaks HTTP/1.1 and
/// HTTP/2 with prior knowledge.</para>
/// </remarks>
internal static class ServerRejections
{
    private const string ItemKey = "meridian.application-requests";

    /// <summary>Installs the rewriting on <paramref name="listen"/>; every request on it must pass through <see cref="Track"/>.</summary>
    public static void Use(ListenOptions listen) => listen.Use(next => async connection =>
    {
        var requests = new ApplicationRequests();
        connection.Items[ItemKey] = requests;
        var transport = connection.Transport;
        connection.Transport = new Pipe(transport.Input, new RejectionWriter(transport.Output, requests));
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    });

    /// <summary>Counts this request as the application's until its response has completed.</summary>
    public static void Track(HttpContext context)
    {
        if (context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var value) == true && value is ApplicationRequests requests)
        {
            requests.Started();
            context.Response.OnCompleted(static state => ((ApplicationRequests)state).Completed(), requests);
        }
    }

    /// <summary>The answer written in place of Kestrel's own for <paramref name="status"/>, with its headers.</summary>
    internal static byte[] Answer(int status, string requestId, DateTimeOffset now)
    {
        var error = status switch
        {
            StatusCodes.Status413PayloadTooLarge => ApiError.TooLarge("The request body exceeds the 32 MB limit."),
            StatusCodes.Status408RequestTimeout => new ApiError(status, ErrorTypes.InvalidRequest, "The request's headers did not arrive in time."),
            StatusCodes.Status414UriTooLong => new ApiError(status, ErrorTypes.InvalidRequest, "The request target is too long."),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => new ApiError(status, ErrorTypes.InvalidRequest, "The request's headers are too large."),
            StatusCodes.Status505HttpVersionNotsupported => new ApiError(status, ErrorTypes.InvalidRequest, "The HTTP version is not supported."),
            _ => new ApiError(status, ErrorTypes.InvalidRequest,
                "The request could not be read: its request line or a header is malformed (a control character, a missing colon, "
                + "an invalid name or value)."),
        };
        var body = new ArrayBufferWriter<byte>(256);
        AnthropicJsonWriter.WriteError(body, error.Type, error.Message, requestId);
        var reason = ReasonPhrases.GetReasonPhrase(status);
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {body.WrittenCount}\r\n"
            + $"request-id: {requestId}\r\nConnection: close\r\nDate: {now:r}\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. body.WrittenSpan];
    }

    private sealed class ApplicationRequests
    {
        private int _started;
        private int _completed;

        public bool Idle => Volatile.Read(ref _started) == Volatile.Read(ref _completed);

        public void Started() => Interlocked.Increment(ref _started);

        public Task Completed()
        {
            Interlocked.Increment(ref _completed);
            return Task.CompletedTask;
        }
    }

    private sealed class Pipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Passes the application's bytes through; drops a response Kestrel starts on its own and writes the answer instead.</summary>
    private sealed class RejectionWriter(PipeWriter inner, ApplicationRequests requests) : PipeWriter
    {
        private static ReadOnlySpan<byte> Http11 => "HTTP/1.1 "u8;

        private Memory<byte> _lastMemory;
        private int _rejectedStatus;
        private bool _answered;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _lastMemory = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => (_lastMemory = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            if (_rejectedStatus == 0 && requests.Idle && StatusOfResponseStart(_lastMemory.Span[..bytes]) is int status)
            {
                _rejectedStatus = status;
            }

            // Kestrel's own answer is not committed; the answer in its place is written at the flush.
            if (_rejectedStatus == 0)
            {
                inner.Advance(bytes);
            }
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            AnswerIfRejected();
            return inner.FlushAsync(cancellationToken);
        }

        // Kestrel's output asks its transport for these (System.Text.Json flushes by them); the base class throws.
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            AnswerIfRejected();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            AnswerIfRejected();
            return inner.CompleteAsync(exception);
        }

        private void AnswerIfRejected()
        {
            if (_rejectedStatus != 0 && !_answered)
            {
                _answered = true;
                inner.Write(Answer(_rejectedStatus, RequestIds.New("req_"), DateTimeOffset.UtcNow));
            }
        }

        private static int? StatusOfResponseStart(ReadOnlySpan<byte> written) =>
            written.Length >= Http11.Length + 3 && written.StartsWith(Http11)
                && int.TryParse(written.Slice(Http11.Length, 3), out var status) && status is >= 400 and < 600
                ? status
                : null;
    }
}
