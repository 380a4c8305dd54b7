using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.Auth;

/// <summary>
/// Failed authentication, per source address: a token bucket of <see cref="GatewayOptions.AuthFailureBurst"/> failures
/// refilled at <see cref="GatewayOptions.AuthFailuresPerSecond"/>. A source that empties it is answered 429 without its
/// credential being checked at all until the bucket refills, so guessing keys or admin tokens runs at the refill rate,
/// not at thousands per second. Each throttling is logged once and counted (<c>meridian.auth.failures</c>). Successful
/// requests cost nothing. Thread-safe.
/// </summary>
internal sealed partial class AuthFailureThrottle
{
    /// <summary>Past this many tracked sources, full buckets are forgotten (they hold nothing a new bucket would not).</summary>
    private const int MaxTrackedSources = 10_000;

    private readonly ConcurrentDictionary<IPAddress, Bucket> _sources = new();
    private readonly double _burst;
    private readonly double _perSecond;
    private readonly TimeProvider _time;
    private readonly ILogger<AuthFailureThrottle> _logger;
    private readonly Counter<long> _failures;

    public AuthFailureThrottle(GatewayOptions options, TimeProvider time, ILogger<AuthFailureThrottle> logger, IMeterFactory meters)
    {
        _burst = Math.Max(1, options.AuthFailureBurst);
        _perSecond = Math.Max(0.001, options.AuthFailuresPerSecond);
        _time = time;
        _logger = logger;
        _failures = meters.Create(GatewayOptions.TelemetryName).CreateCounter<long>(
            "meridian.auth.failures", description: "Failed authentication attempts (credential: api_key or admin_token; throttled: true when refused unchecked)");
    }

    /// <summary>Whether the source is throttled now; if so, sets <c>Retry-After</c> and says how long to wait.</summary>
    public bool IsThrottled(HttpContext context, string credential, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_sources.TryGetValue(Source(context), out var bucket))
        {
            return false;
        }

        lock (bucket)
        {
            var tokens = bucket.TokensAt(_time.GetTimestamp(), _time, _burst, _perSecond);
            if (tokens >= 1)
            {
                return false;
            }

            retryAfter = TimeSpan.FromSeconds((1 - tokens) / _perSecond);
        }

        context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        _failures.Add(1, new KeyValuePair<string, object?>("credential", credential), new KeyValuePair<string, object?>("throttled", true));
        return true;
    }

    /// <summary>Records one failed attempt from the request's source.</summary>
    public void Failed(HttpContext context, string credential)
    {
        _failures.Add(1, new KeyValuePair<string, object?>("credential", credential), new KeyValuePair<string, object?>("throttled", false));
        var source = Source(context);
        if (_sources.Count >= MaxTrackedSources)
        {
            Forget();
        }

        var bucket = _sources.GetOrAdd(source, _ => new Bucket(_burst, _time.GetTimestamp()));
        bool emptied;
        lock (bucket)
        {
            var now = _time.GetTimestamp();
            var before = bucket.TokensAt(now, _time, _burst, _perSecond);
            emptied = before >= 1 && before - 1 < 1;
            bucket.Set(before - 1, now);
        }

        if (emptied)
        {
            Log.Throttled(_logger, source.ToString(), credential, _burst, _perSecond);
        }
    }

    private static IPAddress Source(HttpContext context) => context.Connection.RemoteIpAddress ?? IPAddress.None;

    private void Forget()
    {
        var now = _time.GetTimestamp();
        foreach (var (source, bucket) in _sources)
        {
            lock (bucket)
            {
                if (bucket.TokensAt(now, _time, _burst, _perSecond) >= _burst)
                {
                    _sources.TryRemove(source, out _);
                }
            }
        }
    }

    /// <summary>Tokens left at a moment; guarded by locking the bucket.</summary>
    private sealed class Bucket(double tokens, long at)
    {
        private double _tokens = tokens;
        private long _at = at;

        public double TokensAt(long now, TimeProvider time, double burst, double perSecond) =>
            Math.Min(burst, _tokens + (time.GetElapsedTime(_at, now).TotalSeconds * perSecond));

        public void Set(double tokens, long now)
        {
            _tokens = tokens;
            _at = now;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1200, Level = LogLevel.Warning,
            Message = "Authentication failures from {Source} ({Credential}) exceeded {Burst} at {PerSecond}/s: further attempts are refused unchecked until the bucket refills")]
        public static partial void Throttled(ILogger logger, string source, string credential, double burst, double perSecond);
    }
}
