namespace Meridian.Safeguards;

/// <summary>
/// One thing a classifier found: what, how bad, and where — as a position in the screened text, never the text itself,
/// so a finding can travel into verdicts, logs and cases without carrying content. The position exists for redaction.
/// </summary>
/// <param name="Kind">A finer label within the category: a PII kind (<see cref="PiiKinds"/>), an injection style
/// (<see cref="InjectionKinds"/>), a harm rule family (<see cref="HarmKinds"/>), or <see cref="HarmKinds.External"/>.</param>
/// <param name="Start">Offset of the first char in the screened text (UTF-16 code units).</param>
/// <param name="Length">Length in UTF-16 code units; findings that concern the whole text span all of it.</param>
public readonly record struct Finding(SafetyCategory Category, string Kind, Severity Severity, int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>The PII kinds the built-in classifier reports; <c>[REDACTED:kind]</c> uses these names.</summary>
public static class PiiKinds
{
    public const string PaymentCard = "payment_card";
    public const string Iban = "iban";
    public const string Email = "email";
    public const string Phone = "phone";
    public const string UsSsn = "us_ssn";
    public const string IpAddress = "ip_address";
    public const string Secret = "secret";

    /// <summary>UK National Insurance number (format and the prefixes HMRC never issues).</summary>
    public const string UkNino = "uk_nino";

    /// <summary>A passport number next to the word "passport", or an ICAO 9303 machine-readable zone with valid check digits.</summary>
    public const string Passport = "passport";

    /// <summary>Spanish DNI or NIE (mod-23 control letter).</summary>
    public const string EsDni = "es_dni";

    /// <summary>French social security number, NIR (mod-97 key).</summary>
    public const string FrNir = "fr_nir";

    /// <summary>Indian Aadhaar number (Verhoeff check digit), written in groups of four.</summary>
    public const string InAadhaar = "in_aadhaar";
}

/// <summary>The prompt-injection styles the built-in classifier reports.</summary>
public static class InjectionKinds
{
    public const string IgnoreInstructions = "ignore_instructions";
    public const string RolePlay = "role_play";
    public const string SystemPromptExfiltration = "system_prompt_exfiltration";
    public const string ToolResultMarker = "tool_result_marker";
}

/// <summary>The harm rule families of the lexicon classifier, and the kind used for external classifiers.</summary>
public static class HarmKinds
{
    /// <summary>A term or phrase that names the topic without intent (a mention).</summary>
    public const string Mention = "mention";

    /// <summary>A slur or dehumanising statement about a group.</summary>
    public const string Slur = "slur";

    public const string Dehumanization = "dehumanization";
    public const string Threat = "threat";
    public const string Graphic = "graphic";
    public const string Weapons = "weapons";
    public const string Explicit = "explicit";
    public const string Minors = "minors";
    public const string Ideation = "ideation";
    public const string Intent = "intent";
    public const string Instructions = "instructions";
    public const string Encouragement = "encouragement";

    /// <summary>A category reported by an external classifier, which gives no position: the finding spans the whole text.</summary>
    public const string External = "external";
}
