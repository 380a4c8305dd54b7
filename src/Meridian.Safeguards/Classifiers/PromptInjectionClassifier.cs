using System.Text.RegularExpressions;
using Meridian.Protocol;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// Prompt-injection and jailbreak heuristics, applied to user content and tool results only (system prompts are the
/// deployer's own; model output is not an attack on the model): instruction overrides ("ignore previous
/// instructions"), role-play jailbreaks (DAN, "developer mode", "pretend you have no restrictions"), system-prompt
/// exfiltration ("repeat the text above"), and — in tool results — chat-template and turn markers and notes addressed
/// to the AI, the signature of indirect injection. Quoted phrases (a security article citing an attack) score
/// <c>low</c>. Stateless, thread-safe, completes synchronously.
/// </summary>
public sealed class PromptInjectionClassifier : IClassifier, IWindowedClassifier
{
    public const string DefaultName = "prompt_injection";

    private const string Verb = "(?:ignore|disregard|forget|skip|override|bypass|drop|abandon|discard|throw out|do not follow|dont follow|stop following|delete|erase|wipe)";
    private const string Earlier = "(?:previous|prior|above|preceding|earlier|former|initial|original|old|existing|system|developer|default|hidden|given|first|last|openai|anthropic)";
    private const string Instructions =
        "(?:instructions?|prompts?|system prompts?|rules|directions|directives|guidelines|guardrails|constraints|commands|context|" +
        "messages?|programming|restrictions|policies|policy|settings|orders|content polic(?:y|ies)|safety (?:rules|guidelines|filters))";

    /// <summary>Builds (once per process) and warms the rule matchers, so the first request does not pay for it.</summary>
    public PromptInjectionClassifier() => _ = SharedMatcher.Value;

    public string Name => DefaultName;

    public int MaxMatchChars => 120;

    internal static IReadOnlyList<LexiconRule> Rules { get; } =
    [
        // instruction override
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High,
            $"{Verb} (?:all |any |every |each )?(?:of )?(?:the |your |my |these |those |this |its )?(?:above |previous |prior )?(?:{Earlier} )+(?:and (?:{Earlier} ) )?{Instructions}"),
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High,
            $"{Verb} (?:all |any |every )?(?:of )?your (?:{Earlier} )?{Instructions}"),
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High,
            $"{Verb} (?:all |everything )(?:you (?:were|have been) (?:told|given|instructed)|(?:that )?(?:came )?(?:before|above))"),
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High,
            $"{Verb} (?:all |everything )?(?:of )?(?:the |what is |whats )?(?:above|previous|preceding|prior)(?: text| message| messages| content| conversation| context| prompt)? (?:and|then|instead)"),
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High,
            "(?:override|disable|turn off|deactivate|bypass|circumvent|remove) (?:your |the |all )?(?:safety|content|ethical|moral) (?:filters?|guidelines|restrictions|protocols?|settings|guardrails|checks|policy|policies)"),
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.Medium,
            "(?:your (?:new|real|true|actual|updated) (?:instructions|task|role|purpose|goal|objective) (?:is|are)|new (?:instructions|rules|system prompt)|" +
            "from now on(?:,)? (?:you (?:will|are|must|shall|should)|ignore|respond|answer|act|only)|(?:these|the following) instructions (?:override|supersede|replace)|" +
            "(?:instructions|rules) (?:above|before) (?:are|were) (?:fake|wrong|void|cancell?ed|outdated)|" +
            "the (?:previous|above|earlier|prior|old) (?:rules |instructions |messages? |prompts? |guidelines )?(?:was|were|is|are) (?:just |only |all )?(?:a test|fake|void|wrong|outdated|cancell?ed|a joke))"),

        // the same moves in other words: voiding what came before, a persona without a policy, a task switch that
        // leaves the user's request behind, exfiltration of the configuration
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High,
            $"(?:(?:all |the |your )?(?:{Earlier} )?{Instructions} (?:are|is|were|have been) (?:now |hereby )?(?:void|null|revoked|cancell?ed|invalid|suspended|lifted|overridden|obsolete|no longer (?:valid|in effect|apply|applicable))|" +
            "(?:system|admin|administrator|root|developer|security) override|override (?:code|mode|command|authori[sz]ed)|(?:root|admin|sudo) access (?:granted|enabled))"),
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High,
            $"{Verb} (?:all |any )?(?:of )?(?:the |your |those |these )?{Instructions} (?:you were given|you (?:have|ve) been given|(?:your|the) (?:developers?|creators?|makers|programmers|operators?|company|trainers) (?:gave|set|wrote|gave you|set for you|put in place)|(?:set|given|written|imposed) (?:by|on|for) you)"),
        new(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High,
            "(?:disregard|ignore|forget|skip|abandon|drop) (?:the |this |your )?(?:users?|user s|humans?|human s|original) (?:request|question|instructions?|query|message|task|prompt)"),
        new(SafetyCategory.PromptInjection, InjectionKinds.RolePlay, Severity.High,
            "(?:answer|respond|reply|speak|talk|write|continue|act) as (?:an? )?(?:unfiltered|unrestricted|uncensored|jailbroken|amoral|unaligned) (?:ai|model|assistant|chatbot|version|llm)|" +
            "(?:have|has|with|without) (?:no|any) (?:content polic(?:y|ies)|safety (?:rules|filters|guidelines|training)|guardrails|filters|restrictions|ethical (?:guidelines|constraints))(?: whatsoever)?|" +
            "(?:safety|content) (?:filters?|guardrails|checks|polic(?:y|ies)) (?:are )?(?:off|disabled|removed|deactivated|turned off)"),
        new(SafetyCategory.PromptInjection, InjectionKinds.SystemPromptExfiltration, Severity.High,
            "(?:repeat|print|reveal|show|output|display|dump|leak|disclose|paste|recite|quote|tell me) (?:me )?(?:all |back )?(?:of )?(?:your|the) (?:full |entire |complete |exact |original |hidden |secret |initial |internal |verbatim |confidential )+" +
            "(?:configuration|config|setup|directives|rules|guidelines|instructions|prompt|context|preamble)|" +
            "(?:exact|full|original|hidden|initial|verbatim) instructions (?:you were|you have been|you ve been) given|quote them (?:in full|verbatim|word for word)"),

        // role-play jailbreaks
        new(SafetyCategory.PromptInjection, InjectionKinds.RolePlay, Severity.High,
            "(?:you are (?:now |going to be |about to become )?(?:dan|stan|dude|aim|an? (?:unrestricted|unfiltered|uncensored|jailbroken|unchained|unlimited|amoral|unethical|evil) (?:ai|model|assistant|chatbot|version|language model))|" +
            "(?:pretend|act|roleplay|role play|behave)(?: that)? (?:you are|youre|to be|as|like) (?:dan|stan|dude|aim|an? (?:unrestricted|unfiltered|uncensored|jailbroken|evil|amoral) )|do anything now|(?:dan|developer|dev|god|jailbreak|jailbroken|sudo|debug|unrestricted|evil) mode (?:enabled|activated|on|engaged|unlocked)|" +
            "(?:enable|activate|enter|switch to|you are in|you are now in) (?:dan|developer|god|jailbreak|unrestricted|evil|sudo|unfiltered) mode|" +
            "(?:pretend|imagine|act|behave|roleplay|role play)(?: that)? (?:you are|youre|to be|as|like) (?:an? |the )?(?:ai |assistant |model |chatbot |character |version of yourself )?(?:with no|without|that has no|who has no|free (?:of|from)|that ignores|who ignores|not bound by|unbound by) (?:any )?(?:restrictions|rules|limits|limitations|filters|guidelines|censorship|ethics|morals|boundaries|content policy|policies)|" +
            "act as (?:an? )?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|amoral|unethical|rogue) (?:ai|assistant|model|chatbot|character)?|" +
            "(?:you have|there are) no (?:restrictions|rules|limits|filters|guidelines|ethical (?:guidelines|constraints)|content polic(?:y|ies))(?: anymore| now)?|" +
            "(?:you are|youre) (?:free|freed|liberated|released) from (?:all |your |the )?(?:restrictions|rules|guidelines|constraints|programming|openai|anthropic)|" +
            "(?:evil confidant|always intelligent and machiavellian|opposite mode|anti ?gpt|better dan|jailbreak prompt))"),
        new(SafetyCategory.PromptInjection, InjectionKinds.RolePlay, Severity.Medium,
            "(?:(?:stay|remain) in character (?:no matter what|at all times|whatever happens)|never break character|" +
            "(?:you (?:will|must|shall|can) )?(?:answer|respond to|reply to) (?:every|any|all) (?:question|request|prompt)s? (?:without|regardless of|no matter) (?:any )?(?:restrictions|rules|filters|ethics|morals|how)|" +
            "(?:without|with no|ignoring) (?:any )?(?:ethical|moral|safety) (?:guidelines|constraints|restrictions|considerations|concerns)|" +
            "(?:hypothetically|in a fictional world|in this story)(?:,)? (?:where |in which )?(?:there are |you have )?no (?:rules|laws|restrictions|limits)|" +
            "(?:respond|answer) (?:twice|two ways|as both)|(?:as|like) an ai (?:without|with no) (?:filters|restrictions)|(?:simulate|emulate) (?:an? )?(?:unrestricted|unfiltered|jailbroken))"),
        new(SafetyCategory.PromptInjection, InjectionKinds.RolePlay, Severity.Low,
            "(?:jailbreak(?:s|ing|ed)?|prompt injections?|roleplay as|role play as)"),

        // system-prompt exfiltration
        new(SafetyCategory.PromptInjection, InjectionKinds.SystemPromptExfiltration, Severity.High,
            "(?:repeat|print|reveal|show|output|display|tell|give|write out|write down|dump|leak|disclose|share|list|paste|type out|spell out|recite|translate|summari[sz]e|what (?:is|are|was|were)|whats) " +
            "(?:me |us )?(?:back )?(?:all |exactly |verbatim )?(?:of )?(?:your|the) (?:full |entire |complete |exact |original |hidden |secret |initial |real |verbatim |first |confidential )*" +
            "(?:system prompt|system message|system instructions|initial (?:prompt|instructions)|hidden (?:prompt|instructions|rules)|pre ?prompt|meta ?prompt|developer (?:message|prompt|instructions)|" +
            "instructions (?:you were given|above|you received|from (?:the )?(?:developer|system))|prompt (?:above|you were given)|(?:secret|confidential) instructions)"),
        new(SafetyCategory.PromptInjection, InjectionKinds.SystemPromptExfiltration, Severity.High,
            "(?:repeat|print|output|copy|write|return|echo) (?:all |back )?(?:of )?(?:everything|all (?:of )?the (?:text|words)|the (?:text|words|lines|content)|all text|your instructions) (?:above|before (?:this|my) (?:line|message)|that came before)(?: verbatim| word for word)?|" +
            "(?:starting|beginning) with (?:the words )?you are (?:a|an|chatgpt|claude)"),
        new(SafetyCategory.PromptInjection, InjectionKinds.SystemPromptExfiltration, Severity.Medium,
            "(?:what (?:were|are) you (?:told|instructed|programmed) (?:to do )?(?:before|at the start|initially|by (?:the|your) (?:developer|creator|operator))|" +
            "what instructions (?:were you|have you been|did you) (?:given|receive)|(?:what|which) rules (?:were you|have you been) given|" +
            "(?:ignore|forget) the (?:conversation|chat) and (?:print|show|tell)|show me your (?:rules|instructions|prompt|configuration))"),
        new(SafetyCategory.PromptInjection, InjectionKinds.SystemPromptExfiltration, Severity.Low, "(?:system prompt|system message)"),
    ];

    private static readonly Lazy<LexiconMatcher> SharedMatcher = new(() => new LexiconMatcher(Rules));

    public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken)
    {
        var span = text.Text.Span;
        if (span.IsEmpty || text.Source is not (TextSource.User or TextSource.ToolResult))
        {
            return ValueTask.FromResult(ClassifierResult.None);
        }

        var work = text.Work;
        work?.Charge(span.Length);
        var findings = new List<Finding>();
        var toolResult = text.Source == TextSource.ToolResult;
        if (text.Needs is { } needs)
        {
            return ValueTask.FromResult(ClassifyForVerdict(span, toolResult, needs, findings, work));
        }

        using (var normalized = NormalizedText.Create(span))
        {
            SharedMatcher.Value.Match(normalized, findings, work);
        }

        work?.Charge(toolResult ? 3L * span.Length : span.Length);
        foreach (var m in Marker.EnumerateMatches(span))
        {
            // In a tool result a chat-template marker is an attempt to speak as the system; typed by a user, it is
            // usually someone asking about chat templates.
            findings.Add(new Finding(SafetyCategory.PromptInjection, InjectionKinds.ToolResultMarker, toolResult ? Severity.High : Severity.Low, m.Index, m.Length));
        }

        if (toolResult)
        {
            foreach (var m in AddressedToAi.EnumerateMatches(span))
            {
                findings.Add(new Finding(SafetyCategory.PromptInjection, InjectionKinds.ToolResultMarker, Severity.High, m.Index, m.Length));
            }

            foreach (var m in TurnMarker.EnumerateMatches(span))
            {
                findings.Add(new Finding(SafetyCategory.PromptInjection, InjectionKinds.ToolResultMarker, Severity.Medium, m.Index, m.Length));
            }
        }

        if (findings.Count == 0)
        {
            return ValueTask.FromResult(ClassifierResult.None);
        }

        findings.Sort(HarmLexiconClassifier.ByStart);
        var quoting = new Quoting(span);
        for (var i = 0; i < findings.Count; i++)
        {
            var f = findings[i];
            if (f.Severity > Severity.Low && f.Kind != InjectionKinds.ToolResultMarker && quoting.IsQuoted(f.Start, f.End))
            {
                findings[i] = f with { Severity = Severity.Low };
            }
            else if (toolResult && f.Severity == Severity.Medium)
            {
                // Text a tool fetched has no business giving the model instructions at all.
                findings[i] = f with { Severity = Severity.High };
            }
        }

        work?.Charge(findings.Count + quoting.Reads);

        return ValueTask.FromResult(ClassifierResult.Of(findings));
    }

    /// <summary>
    /// <see cref="ClassifyAsync"/> for input screening: the same findings, judged as they are found, and of each rule and
    /// marker pattern only as many as the verdict needs (<see cref="VerdictNeeds"/>).
    /// </summary>
    private static ClassifierResult ClassifyForVerdict(ReadOnlySpan<char> span, bool toolResult, VerdictNeeds needs, List<Finding> findings, WorkBudget? work)
    {
        using (var normalized = NormalizedText.Create(span))
        {
            SharedMatcher.Value.Match(normalized, findings, work, new LexiconMatcher.VerdictScope(needs, span, toolResult ? JudgeInToolResult : JudgeElsewhere));
        }

        work?.Charge(toolResult ? 3L * span.Length : span.Length);
        Markers(Marker, toolResult ? Severity.High : Severity.Low, span, needs, findings);
        if (toolResult)
        {
            Markers(AddressedToAi, Severity.High, span, needs, findings);
            Markers(TurnMarker, Severity.High, span, needs, findings); // medium, raised in a tool result like every medium finding
        }

        findings.Sort(HarmLexiconClassifier.ByStart);
        work?.Charge(findings.Count);
        return ClassifierResult.Of(findings);
    }

    /// <summary>A marker pattern's findings (never quoted) until the verdict needs no more of them.</summary>
    private static void Markers(Regex pattern, Severity severity, ReadOnlySpan<char> span, VerdictNeeds needs, List<Finding> findings)
    {
        var tally = default(RuleTally);
        foreach (var m in pattern.EnumerateMatches(span))
        {
            if (needs.Keep(ref tally, SafetyCategory.PromptInjection, InjectionKinds.ToolResultMarker, severity))
            {
                findings.Add(new Finding(SafetyCategory.PromptInjection, InjectionKinds.ToolResultMarker, severity, m.Index, m.Length));
            }

            if (needs.Done(tally, SafetyCategory.PromptInjection, InjectionKinds.ToolResultMarker, severity, severity))
            {
                return;
            }
        }
    }

    /// <summary>How <see cref="ClassifyAsync"/> judges a rule's finding: quoted, it drops to low; in a tool result, a
    /// medium one is raised to high.</summary>
    private static readonly LexiconMatcher.Judge JudgeInToolResult = static (rule, quoted) =>
        rule.Severity > Severity.Low && quoted ? Severity.Low : rule.Severity == Severity.Medium ? Severity.High : rule.Severity;

    private static readonly LexiconMatcher.Judge JudgeElsewhere = static (rule, quoted) =>
        rule.Severity > Severity.Low && quoted ? Severity.Low : rule.Severity;

    // Non-backtracking: linear in the text by construction. The backtracking engine took 14 s for "note" and 40k
    // spaces in AddressedToAi, whose \s*(?:to|for)?\s* can split a run of spaces in quadratically many ways (issue 15).
    private static readonly Regex Marker = Linear(
        @"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>|\[/?INST\]|<</?SYS>>|" +
        @"</?(?:system|system_prompt|instructions?|tool_result|function_results|admin|im_start)>|</?antml:[a-z_]+>");

    private static readonly Regex AddressedToAi = Linear(
        @"\b(?:important|attention|urgent|note|message|instructions?|notice)(?:\s+(?:instructions?|notes?|message|notice))?\s*(?:to|for)?\s*(?:the\s+|all\s+|any\s+)?(?:ai(?:\s+(?:assistant|agent|model|system))?|assistant|llm|language\s+model|agent|chatbot|claude|chatgpt|gpt|copilot)s?\b(?:\s+(?:reading|processing|summari[sz]ing|viewing|browsing)\s+(?:this|the)\s+(?:page|document|text|email|site|website|message|file))?\s*[:!,-]|" +
        @"<!--\s*(?:assistant|ai|system|model|llm|agent|claude|chatgpt)\s*:|" +
        @"\b(?:ai|llm)\s+(?:agents?|assistants?|models?)(?:\s+reading\s+this)?\s+(?:must|should|are\s+instructed\s+to|need\s+to)\b|" +
        @"\bif\s+you\s+are\s+an?\s+(?:ai|llm|language\s+model|assistant|agent)\b");

    private static readonly Regex TurnMarker = Linear(@"(?m)^[ \t]*(?:#{1,3}[ \t]*)?(?:system|assistant|human)[ \t]*:");

    private static Regex Linear(string pattern) =>
        LinearRegex.Create(pattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
}
