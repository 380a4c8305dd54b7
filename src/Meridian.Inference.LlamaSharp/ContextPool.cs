using System.Collections.Concurrent;
using LLama;
using LLama.Common;

namespace Meridian.Inference.LlamaSharp;

/// <summary>
/// At most <c>size</c> contexts (each a KV cache for one request), created on first use and kept: creating one allocates
/// and zeroes its cache, which on a real model costs far more than clearing it (docs/backends.md has the measurement).
/// A request waits here, before its first event, while all are busy. Thread-safe.
/// </summary>
internal sealed class ContextPool : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly ModelParams _parameters;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<LLamaContext> _idle = [];
    private bool _disposed;

    public ContextPool(LLamaWeights weights, ModelParams parameters, int size)
    {
        _weights = weights;
        _parameters = parameters;
        _slots = new SemaphoreSlim(size, size);
    }

    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var context = _idle.TryTake(out var idle) ? idle : _weights.CreateContext(_parameters);
            return new Lease(this, context);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    private void Return(LLamaContext context)
    {
        if (_disposed)
        {
            context.Dispose();
        }
        else
        {
            // The next request starts from an empty cache (no prefix reuse across requests, so no tenant's prompt can
            // influence another's answer through it).
            context.NativeHandle.MemoryClear();
            _idle.Add(context);
        }

        _slots.Release();
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var context))
        {
            context.Dispose();
        }
    }

    /// <summary>One request's context; disposing it gives the context back to the pool.</summary>
    public sealed class Lease(ContextPool pool, LLamaContext context) : IDisposable
    {
        private bool _returned;

        public LLamaContext Context { get; } = context;

        public void Dispose()
        {
            if (!_returned)
            {
                _returned = true;
                pool.Return(Context);
            }
        }
    }
}
