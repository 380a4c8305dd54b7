using System.Globalization;
using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Metering;

/// <summary>
/// Admission of one request: the monthly budgets of its tenant and deployment, then the quotas of its deployment and
/// key (requests, uncached input tokens and output tokens per minute), reserved from the request's estimate
/// (input as the tokenizer counts it, plus <c>max_tokens</c>) and settled with the real usage when it ends.
/// Answers carry the <c>anthropic-ratelimit-*</c> headers Anthropic clients read, on success and on a 429.
/// </summary>
public sealed partial class AdmissionControl(
    MeteringSnapshotProvider snapshots,
    IQuotaCounter counter,
    BudgetTracker budgets,
    TimeProvider time,
    ILogger<AdmissionControl> logger)
{
    private const string RetryAfterHeader = "retry-after";

    /// <summary>The quota pool of a deployment: counters are shared where its requests may be processed.</summary>
    public static string PoolOf(DeploymentRoute deployment) => (deployment.Hosting, deployment.Type) switch
    {
        (HostingOption.Platform, DeploymentType.Regional) => "region:" + deployment.ResourceRegion.Name,
        (HostingOption.Platform, DeploymentType.DataZone) => "zone:" + deployment.ResourceRegion.DataZone,
        _ => "global",
    };

    /// <summary>
    /// Admits the request (null) or refuses it with the error to send. Either way the rate-limit headers are set on
    /// <paramref name="response"/>; on admission the reservation is kept in <paramref name="meter"/> for settlement.
    /// </summary>
    public async ValueTask<ApiError?> AdmitAsync(
        HttpResponse response, RequestMeter meter, KeyRecord key, DeploymentRoute deployment, MessagesRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (budgets.Check(deployment.TenantId, deployment.DeploymentId, now) is { } exhausted)
        {
            Log.BudgetRefused(logger, LimitRules.WireName(exhausted.Scope), exhausted.ScopeId);
            return ApiError.InvalidRequest(
                $"You have reached your specified API usage limits: the monthly budget of {Describe(exhausted.Scope, exhausted.ScopeId, deployment)} " +
                $"({Money.Format(exhausted.Budget)} USD) is used up. You will regain access on " +
                $"{exhausted.RegainAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} at 00:00 UTC.");
        }

        meter.EstimatedInputTokens = TokenCounter.CountInput(request);
        var snapshot = snapshots.Current;
        if (snapshot.CapacityOf(deployment.DeploymentId) is null)
        {
            // A deployment created a moment ago: the routing snapshot has it, this one not yet.
            snapshot = snapshots.Reload();
        }

        var limits = Limits(snapshot, key, deployment);
        if (limits.Count == 0)
        {
            return null;
        }

        var demands = new QuotaDemand[limits.Count];
        for (var i = 0; i < limits.Count; i++)
        {
            var (owner, dimension, limit) = limits[i];
            var wanted = dimension switch
            {
                Dimension.Requests => 1,
                Dimension.InputTokens => meter.EstimatedInputTokens,
                _ => request.MaxTokens,
            };

            // An estimate larger than the whole bucket would never fit: it waits for a full bucket instead.
            demands[i] = new QuotaDemand(BucketName(owner, key, deployment, dimension), limit, Math.Min(wanted, limit));
        }

        var pool = PoolOf(deployment);
        var result = await counter.TryReserveAsync(pool, demands, now, cancellationToken);
        WriteHeaders(response, limits, result.States);
        if (result.Granted)
        {
            meter.Pool = pool;
            meter.Reserved = demands;
            return null;
        }

        var (refusedOwner, refusedDimension, refusedLimit) = limits[result.RefusedIndex];
        var seconds = Math.Max(1, (long)Math.Ceiling(result.RetryAfter.TotalSeconds));
        response.Headers[RetryAfterHeader] = seconds.ToString(CultureInfo.InvariantCulture);
        Log.RateLimited(logger, refusedOwner == Owner.Deployment ? "deployment" : "key",
            refusedOwner == Owner.Deployment ? deployment.DeploymentId : key.KeyId, DimensionName(refusedDimension));
        return new ApiError(429, ErrorTypes.RateLimit,
            $"This request would exceed the rate limit of {(refusedOwner == Owner.Deployment ? $"deployment '{deployment.Name}'" : $"API key '{key.KeyId}'")}: " +
            $"{refusedLimit.ToString("N0", CultureInfo.InvariantCulture)} {DimensionName(refusedDimension)}. " +
            $"Retry after {seconds} s, or ask for a higher limit.");
    }

    /// <summary>Settles the reservation with what the request really used (nothing, when it never reached a backend).</summary>
    public async ValueTask SettleAsync(RequestMeter meter, TokenCounts? used)
    {
        if (meter.Reserved is not { } reserved || meter.Pool is not { } pool)
        {
            return;
        }

        meter.Reserved = null;
        var actual = used ?? TokenCounts.Zero;
        var corrections = new List<QuotaDemand>(reserved.Length);
        foreach (var demand in reserved)
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
            await counter.AdjustAsync(pool, corrections, time.GetUtcNow(), CancellationToken.None);
        }
    }

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
    }

    /// <summary>
    /// The limits that apply: the deployment's (its capacity, or what was set on it: RPM, and the capacity's TPM for
    /// input and for output each) and the key's own, where set.
    /// </summary>
    private static List<(Owner Owner, Dimension Dimension, long Limit)> Limits(MeteringSnapshot snapshot, KeyRecord key, DeploymentRoute deployment)
    {
        var list = new List<(Owner, Dimension, long)>(6);
        var capacity = snapshot.CapacityOf(deployment.DeploymentId);
        var set = snapshot.LimitsOf(LimitScope.Deployment, deployment.DeploymentId);
        Add(list, Owner.Deployment, Dimension.Requests, set?.Rpm ?? capacity?.Rpm);
        Add(list, Owner.Deployment, Dimension.InputTokens, set?.InputTpm ?? capacity?.Tpm);
        Add(list, Owner.Deployment, Dimension.OutputTokens, set?.OutputTpm ?? capacity?.Tpm);
        if (snapshot.LimitsOf(LimitScope.Key, key.KeyId) is { } keyLimits)
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
            _ => ":otpm",
        };

    private static string DimensionName(Dimension dimension) => dimension switch
    {
        Dimension.Requests => "requests per minute (RPM)",
        Dimension.InputTokens => "uncached input tokens per minute (ITPM)",
        _ => "output tokens per minute (OTPM)",
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
                case Dimension.Requests: requests = Tighter(requests, states[i]); break;
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
