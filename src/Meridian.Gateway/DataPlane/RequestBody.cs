using System.Buffers;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Microsoft.AspNetCore.Http.Features;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// A request body read into one buffer (JSON parsing wants contiguous bytes; pooled when small, <see cref="LargeArrays"/>), capped at Anthropic's
/// 32 MB limit, charged to the node's <see cref="BodyMemoryBudget"/> for what its request costs on the heap. Dispose returns both.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private readonly BodyMemoryBudget _budget;
    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length, BodyMemoryBudget budget)
    {
        _buffer = buffer;
        _budget = budget;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>
    /// How much of an oversized body is read and thrown away so the client, which sends its whole body before it
    /// reads the answer, receives the 413 instead of a broken pipe (and so does not retry it). Past this the
    /// connection is simply closed.
    /// </summary>
    private const long DrainLimitBytes = 4L * MessagesRequestParser.MaxBodyBytes;

    public static async Task<(RequestBody? Body, ApiError? Error)> ReadAsync(HttpContext context, BodyMemoryBudget budget, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!IsJson(request.ContentType))
        {
            return (null, ApiError.InvalidRequest("Content-Type must be application/json."));
        }

        // Kestrel's own cap would cut the connection mid-upload; the 32 MB rule is enforced here instead.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = DrainLimitBytes;
        }

        var declared = request.ContentLength;
        if (declared > MessagesRequestParser.MaxBodyBytes)
        {
            await DrainAsync(context, cancellationToken);
            return (null, TooLarge());
        }

        var size = declared is > 0 ? (int)declared.Value : 16 * 1024;
        if (!budget.TryReserve(size))
        {
            return (null, OverBudget(context, budget));
        }

        var buffer = LargeArrays.Rent<byte>(size);
        var reserved = (long)size;
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MessagesRequestParser.MaxBodyBytes + 1)
                    {
                        Give(buffer, reserved, budget);
                        await DrainAsync(context, cancellationToken);
                        return (null, TooLarge());
                    }

                    var largerSize = Math.Min(buffer.Length * 2, MessagesRequestParser.MaxBodyBytes + 1);
                    if (!budget.TryReserve(largerSize))
                    {
                        Give(buffer, reserved, budget);
                        return (null, OverBudget(context, budget));
                    }

                    var larger = LargeArrays.Rent<byte>(largerSize);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    Give(buffer, reserved, budget);
                    buffer = larger;
                    reserved = largerSize;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > MessagesRequestParser.MaxBodyBytes)
                {
                    Give(buffer, reserved, budget);
                    await DrainAsync(context, cancellationToken);
                    return (null, TooLarge());
                }
            }
        }
        catch
        {
            Give(buffer, reserved, budget);
            throw;
        }

        // From here on the body is charged what its request costs on the heap, not only its buffer (the pool may have
        // handed out a larger array; that slack is not charged).
        var charge = BodyMemoryBudget.Charge(length);
        if (charge > reserved)
        {
            if (!budget.TryReserve(charge - reserved))
            {
                Give(buffer, reserved, budget);
                return (null, OverBudget(context, budget));
            }
        }
        else
        {
            budget.Release(reserved - charge);
        }

        if (length >= BodyMemoryBudget.LargeBodyBytes)
        {
            budget.LargeBodyStarted();
        }

        return (new RequestBody(buffer, length, budget), null);
    }

    private static void Give(byte[] buffer, long reserved, BodyMemoryBudget budget)
    {
        LargeArrays.Return(buffer);
        budget.Release(reserved);
    }

    /// <summary>
    /// Refused at once rather than queued: the client retries 529 with backoff, and the connection is closed rather
    /// than the rest of a large upload read into memory the node does not have.
    /// </summary>
    private static ApiError OverBudget(HttpContext context, BodyMemoryBudget budget)
    {
        context.Response.Headers.Connection = "close";
        context.Response.Headers.RetryAfter = "1";
        return ApiError.Overloaded(
            $"This node is reading as many request bodies as its memory budget allows ({budget.Limit / (1024 * 1024)} MB in flight); retry shortly.");
    }

    private static async Task DrainAsync(HttpContext context, CancellationToken cancellationToken)
    {
        context.Response.Headers.Connection = "close";
        if (context.Request.ContentLength > DrainLimitBytes)
        {
            return;
        }

        var scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await context.Request.Body.ReadAsync(scratch, cancellationToken) > 0)
            {
            }
        }
        catch (BadHttpRequestException)
        {
            // Over the drain limit: Kestrel closes the connection, which is all that is left to do.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            LargeArrays.Return(buffer);
            _budget.Release(BodyMemoryBudget.Charge(Length));
            if (Length >= BodyMemoryBudget.LargeBodyBytes)
            {
                _budget.LargeBodyEnded();
            }
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.AsSpan().TrimStart().StartsWith("application/json", StringComparison.OrdinalIgnoreCase);

    private static ApiError TooLarge() => ApiError.TooLarge($"The request body exceeds the {MessagesRequestParser.MaxBodyBytes / (1024 * 1024)} MB limit.");
}
