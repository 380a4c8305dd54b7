using System.Diagnostics.Metrics;
using System.Globalization;
using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Configuration;
using Meridian.Protocol.Errors;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Metering;

/// <summary>What admission took from the quota buckets for one request, to settle with its real usage when it ends.</summary>
internal sealed record QuotaReservation(string Pool, QuotaDemand[] Demands);

/// <summary>
/// Admission of one request, in two steps so that refusals cost little. <see cref="RefuseEarly"/> runs before the
/// request's text is counted: the monthly budgets of its tenant and deployment, and any quota bucket this node has
/// already seen empty. <see cref="ReserveAsync"/> then reserves the request's estimate (input as counted, plus
/// <c>max_tokens</c>) from the quotas of its deployment and key (requests, uncached input tokens and output tokens per
/// minute), settled with the real usage when it ends (<see cref="SettleAsync"/>). <c>count_tokens</c> draws on buckets
/// of its own (<see cref="ReserveCountTokensAsync"/>). Answers carry the <c>anthropic-ratelimit-*</c> headers Anthropic
/// clients read, on success and on a 429. Thread-safe.
/// </summary>
internal sealed partial class AdmissionControl(
    IQuotaCounter counter,
    BudgetTracker budgets,
    TimeProvider time,
    ILogger<AdmissionControl> logger,
    IMeterFactory? meters = null)
{
    private readonly Counter<long>? _refusals = meters?.Create(GatewayOptions.TelemetryName)
        .CreateCounter<long>("meridian.quota.refusals", "{request}", "Requests refused by a quota or budget, by limit (e.g. deployment.input_tokens, key.requests, budget.tenant)");

    private const string RetryAfterHeader = "retry-after";

    // Buckets this node saw empty, until when: while one is, a request that needs it is refused before its text is
    // counted or the counter is asked. Only a bucket with nothing left is remembered, never one that merely lacked room
    // for a large request, so a small request is never refused for a large one's sake.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset Until, BucketState State)> _emptyUntil = new(StringComparer.Ordinal);

    /// <summary>The quota pool of a deployment: counters are shared where its requests may be processed.</summary>
    public static string PoolOf(DeploymentRoute deployment) => (deployment.Hosting, deployment.Type) switch
    {
        (HostingOption.Platform, DeploymentType.Regional) => "region:" + deployment.ResourceRegion.Name,
        (HostingOption.Platform, DeploymentType.DataZone) => "zone:" + deployment.ResourceRegion.DataZone,
        _ => "global",
    };

    /// <summary>
    /// The refusals that need no counting and no counter round trip: a used-up budget, or a quota bucket this node saw
    /// empty and that has not refilled yet. Null when the request may go on to be counted and reserved.
    /// </summary>
    public ApiError? RefuseEarly(HttpResponse response, GatewaySnapshot snapshot, KeyRecord key, DeploymentRoute deployment, bool isCountTokens)
    {
        var now = time.GetUtcNow();
        if (!isCountTokens && budgets.Check(snapshot, deployment.TenantId, deployment.DeploymentId, now) is { } exhausted)
        {
            Log.BudgetRefused(logger, LimitRules.WireName(exhausted.Scope), exhausted.ScopeId);
            _refusals?.Add(1, new KeyValuePair<string, object?>("limit", "budget." + LimitRules.WireName(exhausted.Scope)));
            return ApiError.InvalidRequest(
                $"You have reached your specified API usage limits: the monthly budget of {Describe(exhausted.Scope, exhausted.ScopeId, deployment)} " +
                $"({Money.Format(exhausted.Budget)} USD) is used up. You will regain access on " +
                $"{exhausted.RegainAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} at 00:00 UTC.");
        }

        if (_emptyUntil.IsEmpty)
        {
            return null;
        }

        var limits = Limits(snapshot, key, deployment, isCountTokens);
        for (var i = 0; i < limits.Count; i++)
        {
            var (owner, dimension, limit) = limits[i];
            var bucket = BucketName(owner, key, deployment, dimension);
            if (_emptyUntil.TryGetValue(bucket, out var empty))
            {
                if (empty.Until > now)
                {
                    WriteHeaders(response, [limits[i]], [empty.State]);
                    return RateLimited(response, key, deployment, owner, dimension, limit, empty.Until - now);
                }

                _emptyUntil.TryRemove(new KeyValuePair<string, (DateTimeOffset, BucketState)>(bucket, empty));
            }
        }

        return null;
    }

    /// <summary>
    /// Reserves the request's estimate from its buckets, or refuses it with the error to send. Either way the rate-limit
    /// headers are set on <paramref name="response"/>; a null reservation with no refusal means no quota applies.
    /// </summary>
    public ValueTask<(ApiError? Refusal, QuotaReservation? Reservation)> ReserveAsync(
        HttpResponse response, GatewaySnapshot snapshot, KeyRecord key, DeploymentRoute deployment, int inputTokens, int maxTokens, CancellationToken cancellationToken) =>
        TryReserveAsync(response, Limits(snapshot, key, deployment, isCountTokens: false), key, deployment, inputTokens, maxTokens, cancellationToken);

    /// <summary>
    /// <c>count_tokens</c> is free but not unlimited: like Anthropic's, it has requests-per-minute buckets of its own, as
    /// large as the deployment's and the key's message RPM, so counting never uses up the quota for answers.
    /// </summary>
    public async ValueTask<ApiError?> ReserveCountTokensAsync(HttpResponse response, GatewaySnapshot snapshot, KeyRecord key, DeploymentRoute deployment, CancellationToken cancellationToken)
    {
        var limits = Limits(snapshot, key, deployment, isCountTokens: true);
        var (refusal, _) = await TryReserveAsync(response, limits, key, deployment, inputTokens: 0, maxTokens: 0, cancellationToken);
        return refusal;
    }

    private async ValueTask<(ApiError? Refusal, QuotaReservation? Reservation)> TryReserveAsync(
        HttpResponse response, List<(Owner Owner, Dimension Dimension, long Limit)> limits, KeyRecord key, DeploymentRoute deployment,
        long inputTokens, long maxTokens, CancellationToken cancellationToken)
    {
        if (limits.Count == 0)
        {
            return (null, null);
        }

        var demands = new QuotaDemand[limits.Count];
        for (var i = 0; i < limits.Count; i++)
        {
            var (owner, dimension, limit) = limits[i];
            var wanted = dimension switch
            {
                Dimension.InputTokens => inputTokens,
                Dimension.OutputTokens => maxTokens,
                _ => 1, // a request, or a count_tokens request
            };

            // An estimate larger than the whole bucket would never fit: it waits for a full bucket instead.
            demands[i] = new QuotaDemand(BucketName(owner, key, deployment, dimension), limit, Math.Min(wanted, limit));
        }

        var pool = PoolOf(deployment);
        var now = time.GetUtcNow();
        var result = await counter.TryReserveAsync(pool, demands, now, cancellationToken);
        WriteHeaders(response, limits, result.States);
        if (result.Granted)
        {
            return (null, new QuotaReservation(pool, demands));
        }

        var refused = result.States[result.RefusedIndex];
        if (refused.Remaining <= 0)
        {
            // Nothing left at all: until one unit has refilled, refuse without counting (RefuseEarly).
            var limit = limits[result.RefusedIndex].Limit;
            _emptyUntil[demands[result.RefusedIndex].Bucket] = (now + TimeSpan.FromMinutes((1.0 - refused.Remaining) / Math.Max(1, limit)), refused);
        }

        var (owner1, dimension1, limit1) = limits[result.RefusedIndex];
        return (RateLimited(response, key, deployment, owner1, dimension1, limit1, result.RetryAfter), null);
    }

    private ApiError RateLimited(HttpResponse response, KeyRecord key, DeploymentRoute deployment, Owner owner, Dimension dimension, long limit, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        _refusals?.Add(1, new KeyValuePair<string, object?>("limit", LimitName(owner, dimension)));
        response.Headers[RetryAfterHeader] = seconds.ToString(CultureInfo.InvariantCulture);
        Log.RateLimited(logger, owner == Owner.Deployment ? "deployment" : "key", owner == Owner.Deployment ? deployment.DeploymentId : key.KeyId, DimensionName(dimension));
        return new ApiError(429, ErrorTypes.RateLimit,
            $"This request would exceed the rate limit of {(owner == Owner.Deployment ? $"deployment '{deployment.Name}'" : $"API key '{key.KeyId}'")}: " +
            $"{limit.ToString("N0", CultureInfo.InvariantCulture)} {DimensionName(dimension)}. " +
            $"Retry after {seconds} s, or ask for a higher limit.");
    }

    /// <summary>Settles a reservation with what the request is billed (nothing, when it is billed nothing).</summary>
    public async ValueTask SettleAsync(QuotaReservation? reservation, TokenCounts? used)
    {
        if (reservation is null)
        {
            return;
        }

        var actual = used ?? TokenCounts.Zero;
        var corrections = new List<QuotaDemand>(reservation.Demands.Length);
        foreach (var demand in reservation.Demands)
        {
            var delta = demand.Bucket.EndsWith(":itpm", StringComparison.Ordinal) ? actual.Input - demand.Amount
                : demand.Bucket.EndsWith(":otpm", StringComparison.Ordinal) ? actual.Output - demand.Amount
                : 0;
            if (delta != 0)
            {
                corrections.Add(demand with { Amount = delta });
            }
        }

        if (corrections.Count > 0)
        {
            await counter.AdjustAsync(reservation.Pool, corrections, time.GetUtcNow(), CancellationToken.None);
        }
    }

    private static string LimitName(Owner owner, Dimension dimension) => (owner, dimension) switch
    {
        (Owner.Deployment, Dimension.Requests) => "deployment.requests",
        (Owner.Deployment, Dimension.InputTokens) => "deployment.input_tokens",
        (Owner.Deployment, Dimension.OutputTokens) => "deployment.output_tokens",
        (Owner.Deployment, _) => "deployment.count_tokens_requests",
        (_, Dimension.Requests) => "key.requests",
        (_, Dimension.InputTokens) => "key.input_tokens",
        (_, Dimension.OutputTokens) => "key.output_tokens",
        _ => "key.count_tokens_requests",
    };

    private enum Owner
    {
        Deployment,
        Key,
    }

    private enum Dimension
    {
        Requests,
        InputTokens,
        OutputTokens,
        CountRequests,
    }

    /// <summary>
    /// The limits that apply: the deployment's (its capacity, or what was set on it: RPM, and the capacity's TPM for
    /// input and for output each) and the key's own, where set.
    /// </summary>
    private static List<(Owner Owner, Dimension Dimension, long Limit)> Limits(GatewaySnapshot snapshot, KeyRecord key, DeploymentRoute deployment, bool isCountTokens)
    {
        var list = new List<(Owner, Dimension, long)>(6);
        var capacity = snapshot.CapacityOf(deployment.DeploymentId);
        var set = snapshot.LimitsOf(LimitScope.Deployment, deployment.DeploymentId);
        var keyLimits = snapshot.LimitsOf(LimitScope.Key, key.KeyId);
        if (isCountTokens)
        {
            Add(list, Owner.Deployment, Dimension.CountRequests, set?.Rpm ?? capacity?.Rpm);
            Add(list, Owner.Key, Dimension.CountRequests, keyLimits?.Rpm);
            return list;
        }

        Add(list, Owner.Deployment, Dimension.Requests, set?.Rpm ?? capacity?.Rpm);
        Add(list, Owner.Deployment, Dimension.InputTokens, set?.InputTpm ?? capacity?.Tpm);
        Add(list, Owner.Deployment, Dimension.OutputTokens, set?.OutputTpm ?? capacity?.Tpm);
        if (keyLimits is not null)
        {
            Add(list, Owner.Key, Dimension.Requests, keyLimits.Rpm);
            Add(list, Owner.Key, Dimension.InputTokens, keyLimits.InputTpm);
            Add(list, Owner.Key, Dimension.OutputTokens, keyLimits.OutputTpm);
        }

        return list;

        static void Add(List<(Owner, Dimension, long)> list, Owner owner, Dimension dimension, int? limit)
        {
            if (limit is > 0)
            {
                list.Add((owner, dimension, limit.Value));
            }
        }
    }

    private static string BucketName(Owner owner, KeyRecord key, DeploymentRoute deployment, Dimension dimension) =>
        (owner == Owner.Deployment ? "dep:" + deployment.DeploymentId : "key:" + key.KeyId) + dimension switch
        {
            Dimension.Requests => ":rpm",
            Dimension.InputTokens => ":itpm",
            Dimension.OutputTokens => ":otpm",
            _ => ":count_rpm",
        };

    private static string DimensionName(Dimension dimension) => dimension switch
    {
        Dimension.Requests => "requests per minute (RPM)",
        Dimension.InputTokens => "uncached input tokens per minute (ITPM)",
        Dimension.OutputTokens => "output tokens per minute (OTPM)",
        _ => "token-counting requests per minute",
    };

    private static string Describe(LimitScope scope, string id, DeploymentRoute deployment) =>
        scope == LimitScope.Deployment ? $"deployment '{deployment.Name}'" : $"tenant '{id}'";

    /// <summary>
    /// <c>anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}</c>, each from the most
    /// restrictive bucket of its kind (least remaining); <c>tokens</c> is the most restrictive of input and output.
    /// </summary>
    private static void WriteHeaders(HttpResponse response, List<(Owner Owner, Dimension Dimension, long Limit)> limits, IReadOnlyList<BucketState> states)
    {
        BucketState? requests = null, input = null, output = null;
        for (var i = 0; i < limits.Count; i++)
        {
            switch (limits[i].Dimension)
            {
                case Dimension.Requests or Dimension.CountRequests: requests = Tighter(requests, states[i]); break;
                case Dimension.InputTokens: input = Tighter(input, states[i]); break;
                default: output = Tighter(output, states[i]); break;
            }
        }

        Write(response, RequestHeaders, requests);
        Write(response, InputHeaders, input);
        Write(response, OutputHeaders, output);
        Write(response, TokenHeaders, Tighter(input, output));

        static BucketState? Tighter(BucketState? a, BucketState? b) =>
            a is not { } x ? b : b is not { } y ? a : y.Remaining < x.Remaining ? y : x;

        static void Write(HttpResponse response, HeaderNames names, BucketState? state)
        {
            if (state is not { } s)
            {
                return;
            }

            var headers = response.Headers;
            headers[names.Limit] = s.Limit.ToString(CultureInfo.InvariantCulture);
            headers[names.Remaining] = s.Remaining.ToString(CultureInfo.InvariantCulture);
            headers[names.Reset] = s.ResetAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }
    }

    private static readonly HeaderNames RequestHeaders = new("requests");
    private static readonly HeaderNames InputHeaders = new("input-tokens");
    private static readonly HeaderNames OutputHeaders = new("output-tokens");
    private static readonly HeaderNames TokenHeaders = new("tokens");

    private sealed class HeaderNames(string kind)
    {
        public string Limit { get; } = $"anthropic-ratelimit-{kind}-limit";

        public string Remaining { get; } = $"anthropic-ratelimit-{kind}-remaining";

        public string Reset { get; } = $"anthropic-ratelimit-{kind}-reset";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Rate limited: {Owner} {OwnerId}, {Limit}")]
        public static partial void RateLimited(ILogger logger, string owner, string ownerId, string limit);

        [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Refused: the monthly budget of {Scope} {ScopeId} is used up")]
        public static partial void BudgetRefused(ILogger logger, string scope, string scopeId);
    }
}
