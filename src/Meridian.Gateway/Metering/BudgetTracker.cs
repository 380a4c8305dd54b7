using System.Collections.Concurrent;
using System.Globalization;
using Meridian.Core.Billing;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Metering;

/// <summary>A budget that is used up: whose, how much, until when.</summary>
internal sealed record BudgetExhausted(LimitScope Scope, string ScopeId, decimal Budget, decimal Spent, DateTimeOffset RegainAt);

/// <summary>
/// Monthly spend per tenant and per deployment, in memory: seeded from the ledger's hourly aggregates once, then fed
/// by the ledger writer with each usage record it newly wrote (never a retried one), so admission checks a budget
/// without a database round trip. Logs an alert when spend crosses 50, 80 and 100 % of a budget, once per period.
/// Thread-safe: one writer feeds it, any number of requests read it. On several nodes each sees its own writes plus
/// what was in the ledger when it started (the shared counter comes with Redis).
/// </summary>
internal sealed partial class BudgetTracker(GatewaySnapshotProvider snapshots, GeographyStores stores, TimeProvider time, ILogger<BudgetTracker> logger)
{
    private static readonly int[] Thresholds = [50, 80, 100];

    private readonly ConcurrentDictionary<(LimitScope Scope, string Id, BillingPeriod Period), decimal> _spent = new();
    private readonly ConcurrentDictionary<(LimitScope Scope, string Id, BillingPeriod Period, int Threshold), bool> _alerted = new();
    private readonly Lock _seedLock = new();
    private volatile bool _seeded;

    public decimal Spent(LimitScope scope, string id, BillingPeriod period)
    {
        EnsureSeeded();
        return _spent.GetValueOrDefault((scope, id, period));
    }

    /// <summary>The first budget (tenant, then deployment) that is used up for this month, or null.</summary>
    public BudgetExhausted? Check(GatewaySnapshot snapshot, string tenantId, string deploymentId, DateTimeOffset now)
    {
        EnsureSeeded();
        var period = BillingPeriod.Of(now);
        return Exhausted(snapshot, LimitScope.Tenant, tenantId, period) ?? Exhausted(snapshot, LimitScope.Deployment, deploymentId, period);
    }

    private BudgetExhausted? Exhausted(GatewaySnapshot snapshot, LimitScope scope, string id, BillingPeriod period)
    {
        if (snapshot.LimitsOf(scope, id)?.MonthlyBudget is not { } budget)
        {
            return null;
        }

        var spent = _spent.GetValueOrDefault((scope, id, period));
        return spent >= budget ? new BudgetExhausted(scope, id, budget, spent, period.End) : null;
    }

    /// <summary>Adds what newly written usage cost, at the price the tenant was bound by when it happened.</summary>
    public void Record(IReadOnlyList<UsageRecord> written)
    {
        if (written.Count == 0)
        {
            return;
        }

        EnsureSeeded();
        var snapshot = snapshots.Current;
        foreach (var usage in written)
        {
            if (snapshot.PricesOf(usage.TenantId, usage.OfferId) is not { } prices)
            {
                continue;
            }

            var cost = usage.Tokens.CostAt(prices.At(usage.At).Prices);
            var period = BillingPeriod.Of(usage.At);
            Add(snapshot, LimitScope.Tenant, usage.TenantId, period, cost, alert: true);
            Add(snapshot, LimitScope.Deployment, usage.DeploymentId, period, cost, alert: true);
        }
    }

    /// <summary>
    /// Loads this month's spend from the ledgers once, before the writer writes anything: after that, only the writer's
    /// own new records are added, so nothing is counted twice.
    /// </summary>
    public void EnsureSeeded()
    {
        if (_seeded)
        {
            return;
        }

        lock (_seedLock)
        {
            if (_seeded)
            {
                return;
            }

            var snapshot = snapshots.Current;
            var period = BillingPeriod.Of(time.GetUtcNow());
            foreach (var store in stores.All)
            {
                foreach (var hour in store.Ledger.Hourly(new UsageQuery(period.Start, period.End)))
                {
                    if (snapshot.PricesOf(hour.TenantId, hour.OfferId) is { } prices)
                    {
                        var cost = hour.Tokens.CostAt(prices.At(hour.Hour).Prices);
                        Add(snapshot, LimitScope.Tenant, hour.TenantId, period, cost, alert: false);
                        Add(snapshot, LimitScope.Deployment, hour.DeploymentId, period, cost, alert: false);
                    }
                }
            }

            _seeded = true;
        }
    }

    private void Add(GatewaySnapshot snapshot, LimitScope scope, string id, BillingPeriod period, decimal cost, bool alert)
    {
        var key = (scope, id, period);
        var after = _spent.AddOrUpdate(key, cost, (_, spent) => spent + cost);
        if (snapshot.LimitsOf(scope, id)?.MonthlyBudget is not { } budget || budget <= 0)
        {
            return;
        }

        foreach (var threshold in Thresholds)
        {
            // Crossed now or earlier: alert once per scope, period and threshold; a start-up seed marks without alerting.
            if (after * 100m >= budget * threshold && _alerted.TryAdd((scope, id, period, threshold), true) && alert)
            {
                var percent = (int)Math.Min(999, Math.Floor(after * 100m / budget));
                Log.BudgetThreshold(logger, LimitRules.WireName(scope), id, threshold, period.ToString(), percent,
                    Money.Format(Money.RoundToCents(after)), budget.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1520, Level = LogLevel.Warning,
            Message = "Budget alert: {Scope} {ScopeId} crossed {Threshold}% of its monthly budget for {Period} ({Percent}%: {Spent} of {Budget} USD)")]
        public static partial void BudgetThreshold(ILogger logger, string scope, string scopeId, int threshold, string period, int percent, string spent, string budget);
    }
}
