namespace Meridian.Safeguards;

/// <summary>What a finding is about. The wire names (<see cref="SafeguardNames"/>) are snake_case.</summary>
public enum SafetyCategory
{
    Hate,
    Sexual,
    Violence,
    SelfHarm,
    Pii,
    PromptInjection,

    /// <summary>Chemical, biological, radiological and nuclear weapons: synthesis, production, acquisition, dispersal.
    /// Its own category (not violence) so a policy can block it at every severity that asks for help.</summary>
    Cbrn,
}

/// <summary>How bad a finding is. Ordered: a larger value is more severe.</summary>
public enum Severity
{
    Safe,
    Low,
    Medium,
    High,
}

/// <summary>
/// What a policy does about a finding. Ordered by strength, so a verdict's action is the strongest of its findings':
/// <c>redact</c> is an automatic remedy and sits below <c>flag</c>, which asks for a human.
/// </summary>
public enum SafeguardAction
{
    /// <summary>Nothing happens.</summary>
    Allow,

    /// <summary>The verdict is recorded (receipt, response header); nothing else changes.</summary>
    Annotate,

    /// <summary>The matched span is replaced by <c>[REDACTED:kind]</c> before the client sees it (PII in output only).</summary>
    Redact,

    /// <summary>The answer still goes out; the request is queued for human review.</summary>
    Flag,

    /// <summary>Input: the request is refused. Output: the stream ends with an <c>error</c> event.</summary>
    Block,
}

/// <summary>Where screened text came from; classifiers use it to decide what applies (injection is only looked for in
/// user content and tool results).</summary>
public enum TextSource
{
    System,
    User,
    Assistant,
    ToolResult,
    Output,
}

/// <summary>The snake_case names used in policies, verdict strings and the HTTP classifier contract.</summary>
public static class SafeguardNames
{
    /// <summary>Every category, in the order verdict strings list them.</summary>
    public static IReadOnlyList<SafetyCategory> Categories { get; } =
        [SafetyCategory.Hate, SafetyCategory.Sexual, SafetyCategory.Violence, SafetyCategory.SelfHarm, SafetyCategory.Pii, SafetyCategory.PromptInjection, SafetyCategory.Cbrn];

    /// <summary>The category names for error messages: <c>hate, sexual, …, prompt_injection or cbrn</c>.</summary>
    public static string CategoryList { get; } =
        string.Join(", ", Categories.Take(Categories.Count - 1).Select(Name)) + " or " + Name(Categories[^1]);

    public static string Name(SafetyCategory category) => category switch
    {
        SafetyCategory.Hate => "hate",
        SafetyCategory.Sexual => "sexual",
        SafetyCategory.Violence => "violence",
        SafetyCategory.SelfHarm => "self_harm",
        SafetyCategory.Pii => "pii",
        SafetyCategory.PromptInjection => "prompt_injection",
        SafetyCategory.Cbrn => "cbrn",
        _ => throw new ArgumentOutOfRangeException(nameof(category)),
    };

    public static string Name(Severity severity) => severity switch
    {
        Severity.Safe => "safe",
        Severity.Low => "low",
        Severity.Medium => "medium",
        Severity.High => "high",
        _ => throw new ArgumentOutOfRangeException(nameof(severity)),
    };

    public static string Name(SafeguardAction action) => action switch
    {
        SafeguardAction.Allow => "allow",
        SafeguardAction.Annotate => "annotate",
        SafeguardAction.Redact => "redact",
        SafeguardAction.Flag => "flag",
        SafeguardAction.Block => "block",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public static string Name(TextSource source) => source switch
    {
        TextSource.System => "system",
        TextSource.User => "user",
        TextSource.Assistant => "assistant",
        TextSource.ToolResult => "tool_result",
        TextSource.Output => "output",
        _ => throw new ArgumentOutOfRangeException(nameof(source)),
    };

    public static bool TryParseCategory(string? name, out SafetyCategory category)
    {
        switch (name)
        {
            case "hate": category = SafetyCategory.Hate; return true;
            case "sexual": category = SafetyCategory.Sexual; return true;
            case "violence": category = SafetyCategory.Violence; return true;
            case "self_harm": category = SafetyCategory.SelfHarm; return true;
            case "pii": category = SafetyCategory.Pii; return true;
            case "prompt_injection": category = SafetyCategory.PromptInjection; return true;
            case "cbrn": category = SafetyCategory.Cbrn; return true;
            default: category = default; return false;
        }
    }

    public static bool TryParseSeverity(string? name, out Severity severity)
    {
        switch (name)
        {
            case "safe": severity = Severity.Safe; return true;
            case "low": severity = Severity.Low; return true;
            case "medium": severity = Severity.Medium; return true;
            case "high": severity = Severity.High; return true;
            default: severity = default; return false;
        }
    }

    public static bool TryParseAction(string? name, out SafeguardAction action)
    {
        switch (name)
        {
            case "allow": action = SafeguardAction.Allow; return true;
            case "annotate": action = SafeguardAction.Annotate; return true;
            case "redact": action = SafeguardAction.Redact; return true;
            case "flag": action = SafeguardAction.Flag; return true;
            case "block": action = SafeguardAction.Block; return true;
            default: action = default; return false;
        }
    }
}
