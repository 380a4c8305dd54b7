using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.Operations;

/// <summary>One series of an instrument: its tags and, by instrument kind, a sum, a last value or a histogram.</summary>
/// <param name="Value">Counters and up-down counters: the sum since watching began; gauges: the last value observed.</param>
/// <param name="Buckets">Histograms only: cumulative counts per upper bound (the last bound is null, +Inf), as Prometheus has them.</param>
internal sealed record LiveSeriesView(IReadOnlyDictionary<string, string> Tags, double? Value, long? Count, double? Sum, IReadOnlyList<LiveBucketView>? Buckets);

internal sealed record LiveBucketView(double? Le, long Count);

/// <param name="Kind"><c>counter</c>, <c>up_down_counter</c>, <c>gauge</c> or <c>histogram</c>.</param>
internal sealed record LiveInstrumentView(string Name, string? Unit, string? Description, string Kind, IReadOnlyList<LiveSeriesView> Series);

/// <param name="WatchingSince">When this node began collecting for the portal: counters count from then, not from the node's start.</param>
internal sealed record LiveMetricsView(DateTimeOffset At, DateTimeOffset WatchingSince, int IdleStopSeconds, IReadOnlyList<LiveInstrumentView> Instruments);

/// <summary>
/// The operator portal's live view of this node's <c>Meridian.Gateway</c> metrics: the very instruments that Prometheus
/// and OTLP receive (README, "Operating Meridian"), not a second set of counters. Instruments record only while
/// something listens, so this listener starts with the first read and stops again after <see cref="IdleStop"/> without
/// one: a node nobody watches pays nothing for it. Only this host's meters are listened to (its
/// <see cref="IMeterFactory"/>), so gateways sharing a process never mix. Thread-safe.
/// </summary>
internal sealed class LiveMetrics : IDisposable
{
    public static readonly TimeSpan IdleStop = TimeSpan.FromMinutes(5);

    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly IMeterFactory _meters;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<Instrument, ConcurrentDictionary<string, Series>> _series = new();
    private MeterListener? _listener;
    private ITimer? _idleCheck;
    private DateTimeOffset _since;
    private DateTimeOffset _lastRead;

    public LiveMetrics(IMeterFactory meters, TimeProvider time)
    {
        _meters = meters;
        _time = time;
    }

    public bool Watching
    {
        get
        {
            lock (_lock)
            {
                return _listener is not null;
            }
        }
    }

    /// <summary>Everything recorded since watching began, starting to watch if nobody was.</summary>
    public LiveMetricsView Read()
    {
        MeterListener listener;
        DateTimeOffset since;
        lock (_lock)
        {
            _lastRead = _time.GetUtcNow();
            listener = _listener ??= Start();
            since = _since;
        }

        // Gauges are observed now, on the reader's thread, like a scrape.
        listener.RecordObservableInstruments();
        var instruments = new List<LiveInstrumentView>();
        foreach (var (instrument, series) in _series.OrderBy(s => s.Key.Name, StringComparer.Ordinal))
        {
            var views = series.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Value.View()).ToList();
            instruments.Add(new LiveInstrumentView(instrument.Name, instrument.Unit, instrument.Description, KindOf(instrument), views));
        }

        return new LiveMetricsView(_time.GetUtcNow(), since, (int)IdleStop.TotalSeconds, instruments);
    }

    public void Dispose() => Stop();

    private MeterListener Start()
    {
        _since = _time.GetUtcNow();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, _meters) && instrument.Meter.Name == GatewayOptions.TelemetryName)
                {
                    _series.TryAdd(instrument, new ConcurrentDictionary<string, Series>(StringComparer.Ordinal));
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
        _idleCheck = _time.CreateTimer(_ => StopWhenIdle(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        return listener;
    }

    private void StopWhenIdle()
    {
        lock (_lock)
        {
            if (_time.GetUtcNow() - _lastRead < IdleStop)
            {
                return;
            }
        }

        Stop();
    }

    private void Stop()
    {
        lock (_lock)
        {
            _idleCheck?.Dispose();
            _idleCheck = null;
            _listener?.Dispose();
            _listener = null;
            _series.Clear();
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_series.TryGetValue(instrument, out var series))
        {
            return;
        }

        var key = KeyOf(tags);
        if (!series.TryGetValue(key, out var one))
        {
            one = series.GetOrAdd(key, new Series(instrument, TagsOf(tags)));
        }

        one.Add(value);
    }

    private static string KeyOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            pairs[i] = tags[i].Key + "=" + Convert.ToString(tags[i].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        Array.Sort(pairs, StringComparer.Ordinal);
        return string.Join('\u001f', pairs);
    }

    private static Dictionary<string, string> TagsOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, string>(tags.Length, StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            result[tag.Key] = Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
        }

        return result;
    }

    private static string KindOf(Instrument instrument) => instrument switch
    {
        Histogram<double> or Histogram<long> or Histogram<int> => "histogram",
        UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> or ObservableUpDownCounter<long> or ObservableUpDownCounter<int> or ObservableUpDownCounter<double> => "up_down_counter",
        Counter<long> or Counter<int> or Counter<double> => "counter",
        ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => "observed_counter",
        _ => "gauge",
    };

    private static double[] BoundsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds],
        Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        _ => DefaultBounds,
    };

    private sealed class Series(Instrument instrument, IReadOnlyDictionary<string, string> tags)
    {
        private readonly string _kind = KindOf(instrument);
        private readonly double[]? _bounds = KindOf(instrument) == "histogram" ? BoundsOf(instrument) : null;
        private readonly Lock _lock = new();
        private double _value;
        private long _count;
        private long[]? _buckets;

        public void Add(double value)
        {
            lock (_lock)
            {
                switch (_kind)
                {
                    case "histogram":
                        _buckets ??= new long[_bounds!.Length + 1];
                        var index = Array.BinarySearch(_bounds!, value);
                        // Upper bounds are inclusive (le): a value equal to a bound belongs to that bound's bucket.
                        _buckets[index >= 0 ? index : ~index]++;
                        _count++;
                        _value += value;
                        break;
                    case "gauge" or "observed_counter":
                        _value = value;
                        break;
                    default:
                        _value += value;
                        break;
                }
            }
        }

        public LiveSeriesView View()
        {
            lock (_lock)
            {
                if (_bounds is null)
                {
                    return new LiveSeriesView(tags, _value, null, null, null);
                }

                var buckets = new List<LiveBucketView>(_bounds.Length + 1);
                long cumulative = 0;
                for (var i = 0; i <= _bounds.Length; i++)
                {
                    cumulative += _buckets?[i] ?? 0;
                    buckets.Add(new LiveBucketView(i < _bounds.Length ? _bounds[i] : null, cumulative));
                }

                return new LiveSeriesView(tags, null, _count, _value, buckets);
            }
        }
    }
}
