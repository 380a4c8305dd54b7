using System.Globalization;
using System.Text.Json;

namespace Meridian.Safeguards.Classifiers;

/// <summary>One ShieldGemma policy: its name, the principle text from the model card, and Meridian's category for it.</summary>
public sealed record ShieldGemmaPolicy(string Name, string Principle, SafetyCategory Category);

/// <summary>
/// How guard models' taxonomies map onto Meridian's categories and severities (the table in docs/safeguards.md, "Guard
/// models"). Llama Guard answers a yes/no per category, so the severity comes from the category: what the default
/// policy should block (violent crimes, child sexual exploitation, indiscriminate weapons, hate, self-harm) is
/// <c>high</c>; what a human should look at (non-violent crimes, sexual content, privacy, code-interpreter abuse) is
/// <c>medium</c>. Categories that are no harm a gateway polices (defamation, specialized advice, intellectual property,
/// elections) are not mapped: the model's judgement of them is dropped, and an operator who wants them adds a policy of
/// its own in front.
/// </summary>
public static class GuardTaxonomyMap
{
    /// <summary>Llama Guard 3's S1–S14, as Meridian category and severity; null: not mapped.</summary>
    public static IReadOnlyDictionary<string, (SafetyCategory Category, Severity Severity)?> LlamaGuard3 { get; } =
        new Dictionary<string, (SafetyCategory, Severity)?>(StringComparer.Ordinal)
        {
            ["S1"] = (SafetyCategory.Violence, Severity.High), // violent crimes
            ["S2"] = (SafetyCategory.Violence, Severity.Medium), // non-violent crimes
            ["S3"] = (SafetyCategory.Sexual, Severity.High), // sex-related crimes
            ["S4"] = (SafetyCategory.Sexual, Severity.High), // child sexual exploitation
            ["S5"] = null, // defamation
            ["S6"] = null, // specialized advice
            ["S7"] = (SafetyCategory.Pii, Severity.Medium), // privacy
            ["S8"] = null, // intellectual property
            ["S9"] = (SafetyCategory.Cbrn, Severity.High), // indiscriminate weapons
            ["S10"] = (SafetyCategory.Hate, Severity.High), // hate
            ["S11"] = (SafetyCategory.SelfHarm, Severity.High), // suicide and self-harm
            ["S12"] = (SafetyCategory.Sexual, Severity.Medium), // sexual content
            ["S13"] = null, // elections
            ["S14"] = (SafetyCategory.PromptInjection, Severity.Medium), // code interpreter abuse
        };

    /// <summary>ShieldGemma's four policies, in the order it is asked.</summary>
    public static IReadOnlyList<ShieldGemmaPolicy> ShieldGemmaPolicies { get; } =
    [
        new("Dangerous Content",
            "\"No Dangerous Content\": The prompt shall not contain or seek generation of content that harming oneself and/or others (e.g., accessing or building firearms and explosive devices, promotion of terrorism, instructions for suicide).",
            SafetyCategory.Violence),
        new("Harassment",
            "\"No Harassment\": The prompt shall not contain or seek generation of content that is malicious, intimidating, bullying, or abusive content targeting another individual (e.g., physical threats, denial of tragic events, disparaging victims of violence).",
            SafetyCategory.Violence),
        new("Hate Speech",
            "\"No Hate Speech\": The prompt shall not contain or seek generation of content that targeting identity and/or protected attributes (e.g., racial slurs, promotion of discrimination, calls to violence against protected groups) or dehumanizing/belittling/vilifying on the bases of race, ethnicity, religion, disability, age, nationality, veteran status, sexual orientation, gender, gender identity, caste, or any other protected status.",
            SafetyCategory.Hate),
        new("Sexually Explicit Information",
            "\"No Sexually Explicit Information\": The prompt shall not contain or seek generation of content that contains references to sexual acts or other lewd content (e.g., sexually graphic descriptions, content aimed at causing arousal). Medical or scientific terms related to human anatomy or sex education are permitted.",
            SafetyCategory.Sexual),
    ];

    /// <summary>ShieldGemma's probability of a violation as a severity: ≥ 0.8 high, ≥ 0.5 medium, ≥ 0.3 low.</summary>
    public static Severity? ShieldGemmaSeverity(double probability) => probability switch
    {
        >= 0.8 => Severity.High,
        >= 0.5 => Severity.Medium,
        >= 0.3 => Severity.Low,
        _ => null,
    };

    /// <summary>
    /// Reads Llama Guard's answer: <c>safe</c>, or <c>unsafe</c> and a line of comma-separated codes. Null when the answer
    /// is neither (the classifier is then unavailable, never silently "safe"); codes that are not mapped are dropped.
    /// </summary>
    public static IReadOnlyList<(SafetyCategory Category, Severity Severity)>? ReadLlamaGuard(string answer)
    {
        var lines = answer.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0)
        {
            return null;
        }

        if (lines[0] == "safe")
        {
            return [];
        }

        if (lines[0] != "unsafe" || lines.Length < 2)
        {
            return null;
        }

        var mapped = new List<(SafetyCategory, Severity)>();
        foreach (var code in lines[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!LlamaGuard3.TryGetValue(code, out var target))
            {
                return null;
            }

            if (target is { } t)
            {
                mapped.Add(t);
            }
        }

        return mapped;
    }

    /// <summary>The prompt of ShieldGemma's model card for one policy, for a user prompt or (<paramref name="response"/>) a model's answer.</summary>
    public static string ShieldGemmaPrompt(ShieldGemmaPolicy policy, string text, bool response) => response
        ? $"""
          You are a policy expert trying to help determine whether an AI response to prompt is in violation of the defined safety policies.

          <start_of_turn>
          Chatbot Response: {text}
          <end_of_turn>

          Our safety principle is defined in the below:

          * {policy.Principle.Replace("The prompt shall", "The chatbot shall", StringComparison.Ordinal)}

          Does the Chatbot Response violate the above principle? Your answer must start with 'Yes' or 'No'. And then walk through step by step to be sure we answer correctly.

          """
        : $"""
          You are a policy expert trying to help determine whether a user prompt is in violation of the defined safety policies.

          <start_of_turn>
          Human Question: {text}
          <end_of_turn>

          Our safety principle is defined in the below:

          * {policy.Principle}

          Does the human question violate the above principle? Your answer must start with 'Yes' or 'No'. And then walk through step by step to be sure we answer correctly.

          """;

    /// <summary>
    /// The probability of "Yes" from a completion: from the first token's top log-probabilities when the server returns
    /// them (softmax over "Yes" and "No"), else 1 or 0 from the text. Null when the answer is neither.
    /// </summary>
    public static double? ReadShieldGemma(JsonElement root)
    {
        if (!GuardModelClassifier.TryFirstChoice(root, "text", out var text))
        {
            return null;
        }

        var choice = root.GetProperty("choices")[0];
        if (choice.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind == JsonValueKind.Object
            && logprobs.TryGetProperty("top_logprobs", out var top) && top.ValueKind == JsonValueKind.Array && top.GetArrayLength() > 0
            && top[0].ValueKind == JsonValueKind.Object)
        {
            double? yes = null, no = null;
            foreach (var candidate in top[0].EnumerateObject())
            {
                if (candidate.Value.ValueKind != JsonValueKind.Number)
                {
                    continue;
                }

                var token = candidate.Name.Trim();
                if (token == "Yes")
                {
                    yes = candidate.Value.GetDouble();
                }
                else if (token == "No")
                {
                    no = candidate.Value.GetDouble();
                }
            }

            if (yes is { } y && no is { } n)
            {
                return Math.Exp(y) / (Math.Exp(y) + Math.Exp(n));
            }
        }

        return text.Trim() switch
        {
            var t when t.StartsWith("Yes", StringComparison.Ordinal) => 1,
            var t when t.StartsWith("No", StringComparison.Ordinal) => 0,
            _ => null,
        };
    }

    /// <summary>The mapping as markdown rows, for docs and for the test that keeps the doc true.</summary>
    public static string LlamaGuardTable() => string.Join('\n', LlamaGuard3.Select(e => e.Value is { } t
        ? string.Create(CultureInfo.InvariantCulture, $"| {e.Key} | {SafeguardNames.Name(t.Category)} | {SafeguardNames.Name(t.Severity)} |")
        : $"| {e.Key} | not mapped | — |"));
}
