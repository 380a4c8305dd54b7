using System.Globalization;
using Meridian.Core.Access;
using Meridian.Core.Billing;
using Meridian.Gateway.Billing;
using Meridian.Gateway.Metering;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// Quotas and budgets of tenants, deployments and keys, and offers' marketplace fees. Limits are the tenant's:
/// its members read them, its admins and the operator change them. A change is in force on this node at once and on
/// every node within the snapshot refresh interval.
/// </summary>
internal static class LimitHandlers
{
    public static Results<Ok<LimitsView>, ProblemHttpResult> Get(
        HttpContext context, LimitScope scope, string id, MarketplaceStore store, BudgetTracker budgets, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var tenant = store.TenantOf(scope, id);
        var missing = $"No {LimitRules.WireName(scope)} '{id}'.";
        if (TenantHandlers.Authorize(caller.ReadTenant(tenant ?? string.Empty), tenant, missing) is { } denied)
        {
            return denied;
        }

        return TypedResults.Ok(View(scope, id, tenant!, store.FindLimits(scope, id), store, budgets, time));
    }

    public static async Task<Results<Ok<LimitsView>, ProblemHttpResult>> PutAsync(
        HttpContext context, LimitScope scope, string id, MarketplaceStore store, BudgetTracker budgets, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var tenant = store.TenantOf(scope, id);
        var missing = $"No {LimitRules.WireName(scope)} '{id}'.";
        if (TenantHandlers.Authorize(caller.ManageTenant(tenant ?? string.Empty), tenant, missing,
                "Only a tenant-admin of the tenant or an operator-admin may change limits.") is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, BillingJsonContext.Default.PutLimitsRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (!caller.IsOperator && OverCapacity(scope, id, body!, store) is { } over)
        {
            return AdminProblems.Validation(over, "A tenant's limits stay within the capacity the operator provides; ask the operator for more capacity.");
        }

        var result = store.SetLimits(caller.Actor, scope, id, new LimitsDraft(body!.Rpm, body.InputTpm, body.OutputTpm, body.MonthlyBudgetUsd), time.GetUtcNow());
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        // In force on this node once stored (the snapshot is rebuilt on commit); other nodes with their next refresh.
        return TypedResults.Ok(View(scope, id, tenant!, result.Value, store, budgets, time));
    }

    /// <summary>
    /// Quotas above the capacity that serves them, set by someone other than an operator: a deployment's above its
    /// capacity, a key's above the largest capacity of its resource's deployments. Null when within.
    /// </summary>
    private static Core.Validation.FieldErrors? OverCapacity(LimitScope scope, string id, PutLimitsRequest body, MarketplaceStore store)
    {
        var capacity = scope switch
        {
            LimitScope.Deployment => store.FindDeployment(id)?.Capacity,
            LimitScope.Key when store.FindKey(id) is { } key => store.Deployments(key.ResourceId, new PageRequest(1000, null)).Items
                .Select(d => d.Capacity).Aggregate((Core.Marketplace.Capacity?)null, (max, c) => max is null ? c : new(Math.Max(max.Rpm, c.Rpm), Math.Max(max.Tpm, c.Tpm))),
            _ => null,
        };
        if (capacity is null)
        {
            return null;
        }

        var errors = new Core.Validation.FieldErrors();
        Check("rpm", body.Rpm, capacity.Rpm, "requests per minute");
        Check("input_tpm", body.InputTpm, capacity.Tpm, "tokens per minute");
        Check("output_tpm", body.OutputTpm, capacity.Tpm, "tokens per minute");
        return errors.IsEmpty ? null : errors;

        void Check(string field, int? wanted, int available, string unit)
        {
            if (wanted > available)
            {
                errors.Add(field, $"{wanted} exceeds the capacity of {available} {unit} the operator provides");
            }
        }
    }

    public static Results<Ok<FeeView>, ProblemHttpResult> GetFee(HttpContext context, string id, MarketplaceStore store, BillingService billing, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (store.FindOffer(id, time.GetUtcNow()) is not { } offer)
        {
            return AdminProblems.NotFound($"No offer '{id}'.");
        }

        var access = caller.IsOperator || (caller.Role == AdminRole.PublisherAdmin && string.Equals(caller.PublisherId, offer.PublisherId, StringComparison.Ordinal))
            ? AccessDecision.Allowed
            : AccessDecision.Forbidden;
        if (AccessProblems.Check(access, string.Empty, "Only an operator-admin or the offer's publisher-admin may read its fee.") is { } denied)
        {
            return denied;
        }

        return TypedResults.Ok(View(store.FindFee(id, billing.Options.DefaultFeePercent)!));
    }

    public static async Task<Results<Ok<FeeView>, ProblemHttpResult>> PutFee(HttpContext context, string id, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may set marketplace fees.") is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, BillingJsonContext.Default.PutFeeRequest);
        if (problem is not null)
        {
            return problem;
        }

        var result = store.SetFee(caller.Actor, id, body!.FeePercent, time.GetUtcNow());
        return result.Succeeded ? TypedResults.Ok(View(result.Value!)) : AdminProblems.From(result);
    }

    private static FeeView View(OfferFee fee) =>
        new(fee.OfferId, fee.FeePercent.ToString(CultureInfo.InvariantCulture), fee.IsDefault, fee.UpdatedBy, fee.UpdatedAt);

    private static LimitsView View(LimitScope scope, string id, string tenantId, UsageLimits? limits, MarketplaceStore store, BudgetTracker budgets, TimeProvider time)
    {
        EffectiveLimitsView? effective = null;
        if (scope == LimitScope.Deployment && store.FindDeployment(id) is { } deployment)
        {
            effective = new EffectiveLimitsView(
                limits?.Rpm ?? deployment.Capacity.Rpm, limits?.InputTpm ?? deployment.Capacity.Tpm, limits?.OutputTpm ?? deployment.Capacity.Tpm);
        }
        else if (scope == LimitScope.Key)
        {
            effective = new EffectiveLimitsView(limits?.Rpm, limits?.InputTpm, limits?.OutputTpm);
        }

        // Exact, as budgets are: a 0.0001 budget used up shows as spent, not as "0.00".
        var spent = scope == LimitScope.Key ? null : Money.Format(budgets.Spent(scope, id, BillingPeriod.Of(time.GetUtcNow())));
        return new LimitsView(
            LimitRules.WireName(scope), id, tenantId, limits?.Rpm, limits?.InputTpm, limits?.OutputTpm,
            limits?.MonthlyBudget is { } budget ? Money.Format(budget) : null,
            effective, spent, limits?.Version ?? 0, limits?.UpdatedBy, limits?.UpdatedAt);
    }
}
