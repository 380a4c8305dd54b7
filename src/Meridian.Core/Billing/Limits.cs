using System.Text.Json.Serialization;
using Meridian.Core.Marketplace;
using Meridian.Core.Validation;

namespace Meridian.Core.Billing;

/// <summary>What a limit applies to.</summary>
public enum LimitScope
{
    /// <summary>A tenant: a monthly budget over all its deployments.</summary>
    [JsonStringEnumMemberName("tenant")]
    Tenant,

    /// <summary>A deployment: quotas (its capacity by default) and a monthly budget.</summary>
    [JsonStringEnumMemberName("deployment")]
    Deployment,

    /// <summary>An API key: quotas of its own, on top of the deployment's.</summary>
    [JsonStringEnumMemberName("key")]
    Key,
}

/// <summary>
/// The limits set on one tenant, deployment or key; null means "not set" (for a deployment: its capacity applies).
/// </summary>
/// <param name="Rpm">Requests per minute.</param>
/// <param name="InputTpm">Uncached input tokens per minute.</param>
/// <param name="OutputTpm">Output tokens per minute.</param>
/// <param name="MonthlyBudget">USD per calendar month (UTC) the scope may spend; admission stops at it.</param>
public sealed record UsageLimits(
    LimitScope Scope,
    string ScopeId,
    string TenantId,
    int? Rpm,
    int? InputTpm,
    int? OutputTpm,
    decimal? MonthlyBudget,
    string UpdatedBy,
    DateTimeOffset UpdatedAt,
    long Version);

/// <summary>A limits change as a caller sent it; every field replaces the stored one (null clears it).</summary>
public sealed record LimitsDraft(int? Rpm, int? InputTpm, int? OutputTpm, string? MonthlyBudget);

public static class LimitRules
{
    public const decimal MaxBudget = 1_000_000_000m;

    public static string WireName(LimitScope scope) => scope switch
    {
        LimitScope.Tenant => "tenant",
        LimitScope.Deployment => "deployment",
        _ => "key",
    };

    /// <summary>Validates a draft for a scope: tenants have budgets only, keys quotas only, deployments both.</summary>
    public static bool Validate(LimitScope scope, LimitsDraft draft, FieldErrors errors, out decimal? budget)
    {
        budget = null;
        if (scope == LimitScope.Tenant)
        {
            foreach (var (field, value) in new[] { ("rpm", draft.Rpm), ("input_tpm", draft.InputTpm), ("output_tpm", draft.OutputTpm) })
            {
                if (value is not null)
                {
                    errors.Add(field, "is not a tenant limit: set quotas on deployments or keys");
                }
            }
        }
        else
        {
            Check(errors, "rpm", draft.Rpm, DeploymentRules.MaxRpm);
            Check(errors, "input_tpm", draft.InputTpm, DeploymentRules.MaxTpm);
            Check(errors, "output_tpm", draft.OutputTpm, DeploymentRules.MaxTpm);
        }

        if (draft.MonthlyBudget is { } text)
        {
            if (scope == LimitScope.Key)
            {
                errors.Add("monthly_budget_usd", "is not a key limit: set budgets on the tenant or a deployment");
            }
            else if (!Money.TryParse(text, out var parsed) || parsed > MaxBudget || parsed.Scale > 6)
            {
                errors.Add("monthly_budget_usd", $"must be a decimal string such as \"250.00\": USD per month, 0 to {MaxBudget}, at most 6 decimals");
            }
            else
            {
                budget = parsed;
            }
        }

        return errors.IsEmpty;
    }

    private static void Check(FieldErrors errors, string field, int? value, int max)
    {
        if (value is <= 0 || value > max)
        {
            errors.Add(field, $"must be a whole number from 1 to {max}, or null for none");
        }
    }
}
