using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Meridian.Safeguards.Policies;

/// <summary>
/// The named policies deployments can refer to: the built-in <c>default</c> plus those parsed from configuration.
/// Immutable and thread-safe; on a configuration change build a new set and swap the reference.
/// </summary>
/// <remarks>
/// The JSON shape (every member optional except the policy names):
/// <code>
/// {
///   "policies": {
///     "strict": {
///       "extends": "default",
///       "on_classifier_failure": "closed",
///       "classifiers": ["harm_lexicon", "pii", "prompt_injection", "llama_guard"],
///       "input":  { "violence": { "medium": "block" } },
///       "output": { "pii": { "low": "redact" } }
///     }
///   }
/// }
/// </code>
/// A policy with <c>extends</c> starts from that policy's table (built-in or defined in the same document) and
/// failure mode; one without starts from "allow everything", fail open, all classifiers. A document may redefine
/// <c>default</c>. Any unknown member, name or value is an error whose message names the JSON path.
/// </remarks>
public sealed class SafeguardPolicySet
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 16,
    };

    private readonly FrozenDictionary<string, SafeguardPolicy> _policies;

    private SafeguardPolicySet(FrozenDictionary<string, SafeguardPolicy> policies) => _policies = policies;

    /// <summary>Only the built-in <c>default</c> policy.</summary>
    public static SafeguardPolicySet BuiltIn { get; } = new(
        new Dictionary<string, SafeguardPolicy>(StringComparer.Ordinal) { [SafeguardPolicy.DefaultName] = SafeguardPolicy.Default }
            .ToFrozenDictionary(StringComparer.Ordinal));

    public IReadOnlyCollection<string> Names => _policies.Keys;

    public SafeguardPolicy Default => _policies[SafeguardPolicy.DefaultName];

    public bool TryGet(string name, [NotNullWhen(true)] out SafeguardPolicy? policy) => _policies.TryGetValue(name, out policy);

    /// <summary>Parses a policy document (see the remarks for its shape).</summary>
    /// <exception cref="FormatException">The document is invalid; the message names the JSON path of the problem.</exception>
    public static SafeguardPolicySet Parse(string json)
    {
        if (!TryParse(json, out var set, out var error))
        {
            throw new FormatException(error);
        }

        return set;
    }

    public static bool TryParse(string json, [NotNullWhen(true)] out SafeguardPolicySet? set, [NotNullWhen(false)] out string? error)
    {
        set = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            error = $"safeguard policies: not valid JSON ({ex.Message})";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "safeguard policies: expected a JSON object with a 'policies' member";
                return false;
            }

            var definitions = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var member in root.EnumerateObject())
            {
                if (member.Name != "policies")
                {
                    error = $"{member.Name}: unknown member; expected 'policies'";
                    return false;
                }

                if (member.Value.ValueKind != JsonValueKind.Object)
                {
                    error = "policies: expected an object of named policies";
                    return false;
                }

                foreach (var policy in member.Value.EnumerateObject())
                {
                    if (string.IsNullOrWhiteSpace(policy.Name) || policy.Name.Length > 64)
                    {
                        error = "policies: a policy name must be 1 to 64 characters";
                        return false;
                    }

                    if (!definitions.TryAdd(policy.Name, policy.Value.Clone()))
                    {
                        error = $"policies.{policy.Name}: defined twice";
                        return false;
                    }
                }
            }

            var resolved = new Dictionary<string, SafeguardPolicy>(StringComparer.Ordinal);
            foreach (var name in definitions.Keys)
            {
                if ((error = Resolve(name, definitions, resolved, [])) is not null)
                {
                    return false;
                }
            }

            resolved.TryAdd(SafeguardPolicy.DefaultName, SafeguardPolicy.Default);
            set = new SafeguardPolicySet(resolved.ToFrozenDictionary(StringComparer.Ordinal));
            error = null;
            return true;
        }
    }

    private static string? Resolve(
        string name, Dictionary<string, JsonElement> definitions, Dictionary<string, SafeguardPolicy> resolved, HashSet<string> visiting)
    {
        if (resolved.ContainsKey(name))
        {
            return null;
        }

        var path = $"policies.{name}";
        if (!visiting.Add(name))
        {
            return $"{path}.extends: circular";
        }

        var body = definitions[name];
        if (body.ValueKind != JsonValueKind.Object)
        {
            return $"{path}: expected an object";
        }

        SafeguardPolicy? parent = null;
        if (body.TryGetProperty("extends", out var extends))
        {
            var parentName = extends.ValueKind == JsonValueKind.String ? extends.GetString()! : null;
            if (parentName is null)
            {
                return $"{path}.extends: expected a policy name";
            }

            if (definitions.ContainsKey(parentName) && parentName != name)
            {
                if (Resolve(parentName, definitions, resolved, visiting) is { } inner)
                {
                    return inner;
                }

                parent = resolved[parentName];
            }
            else if (parentName == SafeguardPolicy.DefaultName)
            {
                parent = SafeguardPolicy.Default;
            }
            else
            {
                return $"{path}.extends: unknown policy '{parentName}'";
            }
        }

        var mode = parent?.OnClassifierFailure ?? ClassifierFailureMode.Open;
        var classifiers = parent?.Classifiers;
        var (input, output) = parent?.CopyTables() ?? SafeguardPolicy.EmptyTables();
        foreach (var member in body.EnumerateObject())
        {
            var memberPath = $"{path}.{member.Name}";
            string? problem = member.Name switch
            {
                "extends" => null,
                "on_classifier_failure" => ParseFailureMode(member.Value, memberPath, out mode),
                "classifiers" => ParseClassifiers(member.Value, memberPath, out classifiers),
                "input" => ParseTable(member.Value, memberPath, ScreeningStage.Input, input),
                "output" => ParseTable(member.Value, memberPath, ScreeningStage.Output, output),
                _ => $"{memberPath}: unknown member; expected extends, on_classifier_failure, classifiers, input or output",
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        visiting.Remove(name);
        resolved[name] = SafeguardPolicy.Create(name, mode, classifiers, input, output);
        return null;
    }

    private static string? ParseFailureMode(JsonElement value, string path, out ClassifierFailureMode mode)
    {
        mode = ClassifierFailureMode.Open;
        switch (value.ValueKind == JsonValueKind.String ? value.GetString() : null)
        {
            case "open":
                return null;
            case "closed":
                mode = ClassifierFailureMode.Closed;
                return null;
            default:
                return $"{path}: expected \"open\" or \"closed\"";
        }
    }

    private static string? ParseClassifiers(JsonElement value, string path, out IReadOnlyList<string>? classifiers)
    {
        classifiers = null;
        if (value.ValueKind != JsonValueKind.Array)
        {
            return $"{path}: expected an array of classifier names";
        }

        var names = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                return $"{path}: expected an array of classifier names";
            }

            names.Add(item.GetString()!);
        }

        classifiers = names.Distinct(StringComparer.Ordinal).ToArray();
        return null;
    }

    private static string? ParseTable(JsonElement value, string path, ScreeningStage stage, SafeguardAction[] table)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return $"{path}: expected an object of categories";
        }

        foreach (var category in value.EnumerateObject())
        {
            var categoryPath = $"{path}.{category.Name}";
            if (!SafeguardNames.TryParseCategory(category.Name, out var c))
            {
                return $"{categoryPath}: unknown category; expected {SafeguardNames.CategoryList}";
            }

            if (category.Value.ValueKind != JsonValueKind.Object)
            {
                return $"{categoryPath}: expected an object of severity → action";
            }

            foreach (var cell in category.Value.EnumerateObject())
            {
                var cellPath = $"{categoryPath}.{cell.Name}";
                if (!SafeguardNames.TryParseSeverity(cell.Name, out var severity))
                {
                    return $"{cellPath}: unknown severity; expected safe, low, medium or high";
                }

                if (!SafeguardNames.TryParseAction(cell.Value.ValueKind == JsonValueKind.String ? cell.Value.GetString() : null, out var action))
                {
                    return $"{cellPath}: expected an action: allow, annotate, flag, redact or block";
                }

                if (SafeguardPolicy.ValidateCell(stage, c, severity, action) is { } problem)
                {
                    return $"{cellPath}: {problem}";
                }

                table[SafeguardPolicy.CellIndex(c, severity)] = action;
            }
        }

        return null;
    }
}
