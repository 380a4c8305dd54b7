using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Meridian.Core.Validation;

namespace Meridian.Core.Marketplace;

/// <summary>An offer as a caller described it, before validation. Field names follow the wire names.</summary>
public sealed record OfferDraft(
    string? PublisherId,
    string? Name,
    IReadOnlyList<string>? HostingOptions,
    IReadOnlyList<string>? DeploymentTypes,
    PriceDraft? Prices,
    IReadOnlyList<OfferModelDraft>? Models,
    string? TermsText)
{
    /// <summary>Whether flagged content must be retained for the publisher's review (default false).</summary>
    public bool? RequiresRetention { get; init; }
}

/// <summary>Prices as decimal strings (<c>"3.00"</c>), USD per million tokens; null where not given.</summary>
public sealed record PriceDraft(string? Input, string? Output, string? CacheWrite, string? CacheRead);

public sealed record OfferModelDraft(string? ModelId, string? DisplayName, int? ContextWindow, int? MaxOutputTokens);

/// <summary>A validated new offer.</summary>
public sealed record ValidOffer(
    string PublisherId,
    string Name,
    IReadOnlyList<HostingOption> HostingOptions,
    IReadOnlyList<DeploymentType> DeploymentTypes,
    Prices Prices,
    IReadOnlyList<OfferModel> Models,
    string TermsText);

/// <summary>What makes an offer, a price change and a terms version valid. Pure.</summary>
public static class OfferRules
{
    public const int MaxModels = 100;
    public const int MaxContextWindow = 10_000_000;
    public const int MaxTermsLength = 1_000_000;
    public const int MaxPriceDecimals = 6;
    public static readonly decimal MaxPrice = 1_000_000m;

    public static ValidOffer? Validate(OfferDraft draft, FieldErrors errors)
    {
        Names.RequireDisplayName(errors, "name", draft.Name);
        if (string.IsNullOrEmpty(draft.PublisherId))
        {
            errors.Add("publisher_id", "is required");
        }

        var hosting = ParseHostingOptions(draft.HostingOptions, errors);
        var types = ParseDeploymentTypes(draft.DeploymentTypes, hosting, errors);
        var prices = draft.Prices is null ? null : ValidatePrices(draft.Prices, null, errors);
        if (draft.Prices is null)
        {
            errors.Add("prices", "is required");
        }

        var models = ValidateModels(draft.Models, errors);
        ValidateTermsText(draft.TermsText, "terms_text", errors);
        return errors.IsEmpty
            ? new ValidOffer(draft.PublisherId!, draft.Name!, hosting, types, prices!, models, draft.TermsText!)
            : null;
    }

    /// <summary>
    /// Applies a price change: fields given replace the current ones, fields left null keep them. With no
    /// <paramref name="current"/> every field is required.
    /// </summary>
    public static Prices? ValidatePrices(PriceDraft draft, Prices? current, FieldErrors errors)
    {
        var input = Price(draft.Input, current?.Input, "prices.input", errors);
        var output = Price(draft.Output, current?.Output, "prices.output", errors);
        var cacheWrite = Price(draft.CacheWrite, current?.CacheWrite, "prices.cache_write", errors);
        var cacheRead = Price(draft.CacheRead, current?.CacheRead, "prices.cache_read", errors);
        return input is { } i && output is { } o && cacheWrite is { } w && cacheRead is { } r ? new Prices(i, o, w, r) : null;
    }

    public static void ValidateTermsText(string? text, string field, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(field, "is required and must not be blank");
        }
        else if (text.Length > MaxTermsLength)
        {
            errors.Add(field, $"must be at most {MaxTermsLength} characters");
        }
        else if (!Names.IsWellFormed(text))
        {
            errors.Add(field, "must be well-formed text (it holds an unpaired UTF-16 surrogate)");
        }
    }

    /// <summary>Parses a price: a plain non-negative decimal string (no sign, exponent or thousands separator).</summary>
    public static bool TryParsePrice(string? text, out decimal price)
    {
        price = 0;
        return text is { Length: > 0 and <= 32 }
            && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out price)
            && price <= MaxPrice
            && price.Scale <= MaxPriceDecimals;
    }

    /// <summary>The wire form of a price: invariant, scale kept (<c>3.00</c> stays <c>"3.00"</c>).</summary>
    public static string Format(decimal price) => price.ToString(CultureInfo.InvariantCulture);

    public static string TermsSha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static decimal? Price(string? text, decimal? current, string field, FieldErrors errors)
    {
        if (text is null)
        {
            if (current is null)
            {
                errors.Add(field, "is required");
            }

            return current;
        }

        if (!TryParsePrice(text, out var price))
        {
            errors.Add(field, $"must be a decimal string such as \"3.00\": USD per million tokens, 0 to {MaxPrice}, at most {MaxPriceDecimals} decimals");
            return null;
        }

        return price;
    }

    private static List<HostingOption> ParseHostingOptions(IReadOnlyList<string>? values, FieldErrors errors)
    {
        var parsed = new List<HostingOption>();
        if (values is null || values.Count == 0)
        {
            errors.Add("hosting_options", "must list at least one of \"platform\", \"publisher\"");
            return parsed;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (!WireNames.TryParseHosting(values[i], out var hosting))
            {
                errors.Add($"hosting_options[{i}]", "must be \"platform\" or \"publisher\"");
            }
            else if (parsed.Contains(hosting))
            {
                errors.Add($"hosting_options[{i}]", "is listed twice");
            }
            else
            {
                parsed.Add(hosting);
            }
        }

        return parsed;
    }

    private static List<DeploymentType> ParseDeploymentTypes(IReadOnlyList<string>? values, List<HostingOption> hosting, FieldErrors errors)
    {
        var parsed = new List<DeploymentType>();
        if (values is null || values.Count == 0)
        {
            if (hosting.Contains(HostingOption.Platform))
            {
                errors.Add("deployment_types", "platform hosting needs at least one of \"global\", \"datazone\", \"regional\"");
            }

            return parsed;
        }

        if (!hosting.Contains(HostingOption.Platform) && hosting.Count > 0)
        {
            errors.Add("deployment_types", "applies to platform hosting only; a publisher-hosted offer has none");
            return parsed;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (!WireNames.TryParseType(values[i], out var type))
            {
                errors.Add($"deployment_types[{i}]", "must be \"global\", \"datazone\" or \"regional\"");
            }
            else if (parsed.Contains(type))
            {
                errors.Add($"deployment_types[{i}]", "is listed twice");
            }
            else
            {
                parsed.Add(type);
            }
        }

        return parsed;
    }

    private static List<OfferModel> ValidateModels(IReadOnlyList<OfferModelDraft>? models, FieldErrors errors)
    {
        var valid = new List<OfferModel>();
        if (models is null || models.Count == 0)
        {
            errors.Add("models", "must list at least one model");
            return valid;
        }

        if (models.Count > MaxModels)
        {
            errors.Add("models", $"must list at most {MaxModels} models");
            return valid;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < models.Count; i++)
        {
            var model = models[i];
            var at = $"models[{i}]";
            var before = errors.Fields.Count();
            Names.RequireIdentifier(errors, at + ".model_id", model.ModelId);
            if (model.ModelId is not null && !seen.Add(model.ModelId))
            {
                errors.Add(at + ".model_id", "is listed twice");
            }

            Names.RequireDisplayName(errors, at + ".display_name", model.DisplayName);
            if (model.ContextWindow is not (> 0 and <= MaxContextWindow))
            {
                errors.Add(at + ".context_window", $"must be a whole number from 1 to {MaxContextWindow}");
            }

            if (model.MaxOutputTokens is not > 0)
            {
                errors.Add(at + ".max_output_tokens", "must be a positive whole number");
            }
            else if (model.ContextWindow is { } window && model.MaxOutputTokens > window)
            {
                errors.Add(at + ".max_output_tokens", "must not exceed context_window");
            }

            if (errors.Fields.Count() == before)
            {
                valid.Add(new OfferModel(model.ModelId!, model.DisplayName!, model.ContextWindow!.Value, model.MaxOutputTokens!.Value));
            }
        }

        return valid;
    }
}
