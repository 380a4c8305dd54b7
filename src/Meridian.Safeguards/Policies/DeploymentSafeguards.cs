using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Meridian.Safeguards.Classifiers;

namespace Meridian.Safeguards.Policies;

/// <summary>
/// A deployment's own safeguard settings on top of its policy (docs/safeguards.md, "Settings per deployment"): cells of
/// the input and output tables (a threshold is the severity from which a category's action starts), and a blocklist of
/// terms and patterns whose matches are findings of a chosen category and severity. Parsed from the JSON the admin API
/// takes and stores; every error names its path (<c>safeguards.blocklist.patterns[2]: …</c>). Immutable.
/// </summary>
public sealed class DeploymentSafeguards
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    private readonly List<(ScreeningStage Stage, SafetyCategory Category, Severity Severity, SafeguardAction Action)> _cells;

    /// <summary>The longest retention period a deployment may set, in days (ten years).</summary>
    public const int MaxRetentionDays = 3650;

    private DeploymentSafeguards(List<(ScreeningStage, SafetyCategory, Severity, SafeguardAction)> cells, BlocklistClassifier? blocklist, int? retentionDays)
    {
        _cells = cells;
        Blocklist = blocklist;
        RetentionDays = retentionDays;
    }

    /// <summary>No settings: the policy as it is.</summary>
    public static DeploymentSafeguards None { get; } = new([], null, null);

    /// <summary>
    /// How many days a flagged request's sealed content is kept before it is purged, for this deployment's cases; null
    /// for the gateway's own period.
    /// </summary>
    public int? RetentionDays { get; }

    /// <summary>Whether these are no settings at all (the policy as it is, the gateway's retention period).</summary>
    public bool IsEmpty => _cells.Count == 0 && Blocklist is null && RetentionDays is null;

    /// <summary>The deployment's blocklist, or null when it has none.</summary>
    public BlocklistClassifier? Blocklist { get; }

    /// <summary>The cells set, as (stage, category, severity, action).</summary>
    public IReadOnlyList<(ScreeningStage Stage, SafetyCategory Category, Severity Severity, SafeguardAction Action)> Cells => _cells;

    /// <summary>The deployment's effective policy: <paramref name="policy"/> with these cells set.</summary>
    public SafeguardPolicy Apply(SafeguardPolicy policy)
    {
        foreach (var (stage, category, severity, action) in _cells)
        {
            policy = policy.WithAction(stage, category, severity, action);
        }

        return policy;
    }

    /// <summary>
    /// The cells that would let through what <paramref name="policy"/> acts on more strongly, as paths
    /// (<c>safeguards.input.violence.high</c>); empty when the settings only tighten it.
    /// </summary>
    public IReadOnlyList<string> Loosened(SafeguardPolicy policy) =>
        [.. _cells.Where(c => c.Action < policy.ActionFor(c.Stage, c.Category, c.Severity))
            .Select(c => $"safeguards.{(c.Stage == ScreeningStage.Input ? "input" : "output")}.{SafeguardNames.Name(c.Category)}.{SafeguardNames.Name(c.Severity)}")];

    public static bool TryParse(string json, [NotNullWhen(true)] out DeploymentSafeguards? settings, out string? field, out string? error)
    {
        settings = null;
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            return TryParse(document.RootElement, out settings, out field, out error);
        }
        catch (JsonException ex)
        {
            (field, error) = ("safeguards", "is not valid JSON: " + ex.Message);
            return false;
        }
    }

    public static bool TryParse(JsonElement root, [NotNullWhen(true)] out DeploymentSafeguards? settings, out string? field, out string? error)
    {
        settings = null;
        field = "safeguards";
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "must be an object with input, output, blocklist and retention_days";
            return false;
        }

        var cells = new List<(ScreeningStage, SafetyCategory, Severity, SafeguardAction)>();
        BlocklistClassifier? blocklist = null;
        int? retentionDays = null;
        foreach (var property in root.EnumerateObject())
        {
            var path = "safeguards." + property.Name;
            var problem = property.Name switch
            {
                "input" => ParseTable(property.Value, path, ScreeningStage.Input, cells, out field),
                "output" => ParseTable(property.Value, path, ScreeningStage.Output, cells, out field),
                "blocklist" => ParseBlocklist(property.Value, path, out blocklist, out field),
                "retention_days" => ParseRetentionDays(property.Value, path, out retentionDays, out field),
                _ => Fail(path, "unknown setting; expected input, output, blocklist or retention_days", out field),
            };
            if (problem is not null)
            {
                error = problem;
                return false;
            }
        }

        error = null;
        field = null;
        settings = new DeploymentSafeguards(cells, blocklist, retentionDays);
        return true;
    }

    private static string? ParseRetentionDays(JsonElement value, string path, out int? days, out string? field)
    {
        field = path;
        days = null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var parsed) || parsed is < 1 or > MaxRetentionDays)
        {
            return $"must be a whole number of days from 1 to {MaxRetentionDays}";
        }

        days = parsed;
        return null;
    }

    private static string Fail(string path, string problem, out string? field)
    {
        field = path;
        return problem;
    }

    private static string? ParseTable(
        JsonElement value, string path, ScreeningStage stage, List<(ScreeningStage, SafetyCategory, Severity, SafeguardAction)> cells, out string? field)
    {
        field = path;
        if (value.ValueKind != JsonValueKind.Object)
        {
            return "expected an object of categories";
        }

        foreach (var category in value.EnumerateObject())
        {
            field = $"{path}.{category.Name}";
            if (!SafeguardNames.TryParseCategory(category.Name, out var c))
            {
                return $"unknown category; expected {SafeguardNames.CategoryList}";
            }

            if (category.Value.ValueKind != JsonValueKind.Object)
            {
                return "expected an object of severity → action";
            }

            foreach (var cell in category.Value.EnumerateObject())
            {
                field = $"{path}.{category.Name}.{cell.Name}";
                if (!SafeguardNames.TryParseSeverity(cell.Name, out var severity))
                {
                    return "unknown severity; expected safe, low, medium or high";
                }

                if (!SafeguardNames.TryParseAction(cell.Value.ValueKind == JsonValueKind.String ? cell.Value.GetString() : null, out var action))
                {
                    return "expected an action: allow, annotate, flag, redact or block";
                }

                if (SafeguardPolicy.ValidateCell(stage, c, severity, action) is { } problem)
                {
                    return problem;
                }

                cells.Add((stage, c, severity, action));
            }
        }

        return null;
    }

    private static string? ParseBlocklist(JsonElement value, string path, out BlocklistClassifier? blocklist, out string? field)
    {
        blocklist = null;
        field = path;
        if (value.ValueKind != JsonValueKind.Object)
        {
            return "expected an object with terms, patterns, category and severity";
        }

        List<string> terms = [], patterns = [];
        var category = SafetyCategory.Violence;
        var hasCategory = false;
        var severity = Severity.High;
        foreach (var property in value.EnumerateObject())
        {
            field = $"{path}.{property.Name}";
            switch (property.Name)
            {
                case "terms" or "patterns":
                    if (property.Value.ValueKind != JsonValueKind.Array || property.Value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                    {
                        return "expected an array of strings";
                    }

                    (property.Name == "terms" ? terms : patterns).AddRange(property.Value.EnumerateArray().Select(e => e.GetString()!));
                    break;
                case "category":
                    if (!SafeguardNames.TryParseCategory(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null, out category))
                    {
                        return $"expected a category: {SafeguardNames.CategoryList}";
                    }

                    hasCategory = true;
                    break;
                case "severity":
                    if (!SafeguardNames.TryParseSeverity(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null, out severity)
                        || severity == Severity.Safe)
                    {
                        return "expected a severity: low, medium or high";
                    }

                    break;
                default:
                    return "unknown setting; expected terms, patterns, category or severity";
            }
        }

        if (terms.Count + patterns.Count > 0 && !hasCategory)
        {
            field = $"{path}.category";
            return "is required with terms or patterns: the category their matches are findings of";
        }

        if (terms.Count + patterns.Count == 0)
        {
            field = null;
            return null;
        }

        blocklist = BlocklistClassifier.Create(terms, patterns, category, severity, out var problemField, out var problem);
        field = blocklist is null ? $"{path}.{problemField}" : null;
        return problem;
    }
}
