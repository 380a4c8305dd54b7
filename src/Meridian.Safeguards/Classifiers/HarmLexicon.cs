namespace Meridian.Safeguards.Classifiers;

/// <summary>One lexicon rule: a regex over <see cref="NormalizedText"/> (lower case, single spaces, no punctuation).</summary>
/// <param name="Pattern">Doubled letters are made optional when compiled (<c>kill</c> also matches <c>kil</c>, which is
/// what the normalizer leaves of <c>killllll</c>).</param>
/// <param name="Unless">A pattern that, matching right after the rule's match (within 64 chars, starting with the
/// space), withdraws it: "I'll kill you <i>at chess</i>". A negative lookahead would do the same but push the rule onto
/// the backtracking engine; this keeps the rule non-backtracking and costs one anchored match per finding.</param>
internal sealed record LexiconRule(SafetyCategory Category, string Kind, Severity Severity, string Pattern, string? Unless = null);

/// <summary>
/// The built-in harm lexicon. It is a baseline, not a model: phrases and terms chosen so that intent (a threat, a
/// request for instructions, a first-person statement) scores higher than a mention, which keeps medical, historical,
/// news and fiction text at <c>low</c> or <c>safe</c>. See docs/safeguards.md for what it cannot do.
/// </summary>
internal static class HarmLexicon
{
    // ---- shared fragments -------------------------------------------------------------------------------------------

    /// <summary>Groups protected from hate speech (plural and singular forms).</summary>
    private const string Group =
        "(?:jews?|jewish people|muslims?|moslems?|christians?|catholics?|hindus?|sikhs?|buddhists?|atheists?|" +
        "blacks|black people|whites|white people|asians|asian people|arabs?|africans?|mexicans?|latinos?|latinas?|hispanics?|" +
        "chinese people|the chinese|indians|pakistanis?|somalis?|roma|gypsies|immigrants?|migrants?|refugees?|foreigners|" +
        "gays?|gay people|lesbians?|homosexuals?|bisexuals?|trans people|transgender people|trannies|queers|" +
        "women|females|girls|men|disabled people|the disabled|cripples|jewish|muslim)";

    private const string Dehumanizing =
        "(?:vermin|parasites?|cockroaches|rats|animals|beasts|apes|monkeys|subhumans?|sub humans?|savages|filth|scum|" +
        "a plague|a disease|a cancer|a virus|an infestation|not even human|not human|less than human|an inferior race|inferior beings?|" +
        "a lower race|genetically inferior)";

    private const string Exterminate =
        "(?:kill|exterminate|gas|wipe out|eradicate|slaughter|lynch|hang|burn|shoot|purge|get rid of|eliminate|deport all)";

    private const string Slur =
        "(?:nigg(?:er|ers|a|as|uh)|kikes?|spics?|chinks?|faggots?|fags|trann(?:y|ies)|wetbacks?|towel ?heads?|rag ?heads?|" +
        "sand ?nigg(?:er|ers)|beaners?|gooks?|coons|porch monkeys?|jungle bunn(?:y|ies)|zipperheads?|shemales?)";

    /// <summary>A modal that turns a verb into a stated intention ("i will", "i'm going to" → "im going to").</summary>
    private const string Intend =
        "(?:(?:i|we) (?:will|shall|am going to|are going to|am gonna|are gonna|want to|wanna|swear i will|promise i will|" +
        "am about to|will fucking|am coming to)|ill|im going to|im gonna|were going to|were gonna|im coming to|" +
        "ill fucking|im about to|i swear ill|i promise ill|gonna)";

    private const string HarmVerb =
        "(?:kill|murder|shoot|stab|strangle|choke|behead|slaughter|hunt down|gut|burn|bomb|beat|hurt|torture|rape|" +
        "blow up|cut|execute|end|destroy)";

    private const string Victim =
        "(?:you|u|ya|your (?:family|wife|husband|kids|children|son|daughter|mom|mother|dad|father|dog|house)|" +
        "them all|all of you|every one of you|everyone (?:here|there|at)|him|her|them|that (?:bitch|bastard|guy|woman|man))";

    private const string Weapon =
        "(?:(?:homemade |home made |improvised |pipe |nail |car |truck |fertili[sz]er |dirty |suicide |letter |pressure cooker )?bombs?|" +
        "explosives?|explosive devices?|ieds?|grenades?|molotov(?: cocktails?)?|napalm|nerve (?:agents?|gas)|sarin|ricin|anthrax|" +
        "bioweapons?|biological weapons?|chemical weapons?|mustard gas|vx(?: gas)?|tatp|semtex|ghost guns?|untraceable (?:guns?|firearms?)|" +
        "silencers?|suppressors?|dirty bomb|botulinum toxin|a gun at home|full auto conversion|auto sear)";

    private const string HowTo =
        "(?:how (?:do i|to|can i|would i|could i|do you|does one|should i|would you|could you|can you)|" +
        "(?:step by step|detailed )?(?:instructions|recipe|guide|tutorial|steps) (?:for|to|on)|teach me (?:how )?to|" +
        "explain how to|tell me how to|show me how to|help me)";

    private const string Make =
        "(?:make|making|build|building|create|assemble|manufacture|produce|synthesi[sz]e|synthesi[sz]ing|cook|brew|mix|" +
        "weaponi[sz]e|culture|grow|get|buy|obtain|acquire|3d print|print)";

    private const string Minor =
        "(?:child|children|kids?|kiddie|underage|minors?|preteens?|pre teens?|prepubescent|toddlers?|infants?|babies|" +
        "little (?:girls?|boys?)|young (?:girls?|boys?)|school ?girls?|school ?boys?|(?:[0-9]|1[0-7]) (?:year|yr)s? olds?|" +
        "(?:[0-9]|1[0-7]) yo|(?:five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen) year olds?)";

    private const string SexContent =
        "(?:porn|porno|pornography|pornographic (?:images?|pictures?|videos?|material|content)|sex|nudes|nude (?:photos?|pics?|pictures?|images?)|" +
        "naked (?:photos?|pics?|pictures?|images?)|sexual (?:content|images?|photos?|pictures?|videos?|material|story|stories|roleplay|acts?|scenes?)|" +
        "erotica|erotic (?:story|stories|content|pictures?)|explicit (?:photos?|pictures?|images?|content))";

    private const string Myself = "(?:myself|my self|my life|my own life|it all)";

    /// <summary>What follows "kill" when nobody is hurt: processes, time, idioms, germs, and the reflexive (self-harm's).</summary>
    private const string NotAVictim =
        "(?:the |a |that |this |all |any |every |your |my |our |its )?(?:[a-z]+ )?(?:process(?:es)?|pid|task|tasks|job|jobs|signal|switch|command|server|" +
        "app|application|container|pod|session|daemon|thread|lights?|engine|music|time|mood|vibe|bill|feature|flag|branch|query|connection|tab|" +
        "sigterm|sigkill|[0-9]+|bacteria|germs|viruses|cells|weeds|pests|insects|mold|bugs|tumou?rs?)|it(?! with)|two birds|me (?:softly|slowly)|" +
        "(?:myself|yourself|himself|herself|themselves|oneself|urself|my self)";


    // ---- fragments for the rules built from what makes text harmful: intent, method, target, specificity ----------

    /// <summary>Who a threat can be aimed at without a name: a relation or role ("my neighbour", "the landlord").</summary>
    private const string Person =
        "(?:(?:my|his|her|our|their|your|the|that|this) (?:ex|ex wife|ex husband|ex girlfriend|ex boyfriend|wife|husband|girlfriend|boyfriend|partner|" +
        "neighbou?rs?|neighbou?rs wife|neighbou?rs husband|boss|manager|supervisor|landlord|landlady|teacher|principal|coworkers?|colleagues?|classmates?|roommates?|flatmates?|" +
        "brother|sister|mother|mom|mum|father|dad|stepfather|stepdad|stepmother|stepmom|son|daughter|uncle|aunt|cousin|judge|lawyer|doctor|cop|officer|" +
        "senator|mayor|president|prime minister|ceo|pastor|priest|imam|rabbi|bully|bullies)|him|her|them)";

    /// <summary>"I'll kill you at chess", "destroy him in the debate": a contest, not a threat (an <c>Unless</c>).</summary>
    private const string AGame =
        " (?:at|in) (?:chess|poker|cards|tennis|golf|pool|darts|fifa|mario ?kart|scrabble|monopoly|fortnite|[a-z]+ ?ball|the (?:game|match|race|tournament|debate|quiz|finals?))";

    /// <summary>Hand-held means of hurting someone.</summary>
    private const string Arm =
        "(?:gun|guns|rifle|shotgun|pistol|handgun|glock|ar 15|ar15|ak 47|ak47|knife|knives|machete|bat|baseball bat|axe|hatchet|hammer|crowbar|" +
        "acid|rope|duct tape|zip ties|brass knuckles|crossbow)";

    /// <summary>Chemical, biological, radiological and nuclear agents and their named precursors (not "chlorine" or
    /// "uranium" alone: pool chemistry and reactor physics are homework, not weapons).</summary>
    private const string Agent =
        "(?:sarin|soman|tabun|cyclosarin|vx|vx gas|novichoks?|nerve agents?|nerve gas|mustard gas|sulfur mustard|nitrogen mustards?|lewisite|phosgene|" +
        "chlorine gas|hydrogen cyanide|cyanogen chloride|ricin|abrin|botulinum(?: toxin)?|botulism toxin|clostridium botulinum|anthrax(?: spores)?|" +
        "bacillus anthracis|smallpox|variola|yersinia pestis|pneumonic plague|bubonic plague|ebola|marburg|tularemia|francisella tularensis|h5n1|" +
        "bird flu|bioweapons?|biological weapons?|biological agents?|chemical weapons?|chemical agents?|dirty bombs?|radiological (?:dispersal )?(?:devices?|weapons?)|" +
        "nuclear (?:bombs?|weapons?|devices?|warheads?)|atomic bombs?|atom bombs?|weapons grade(?: uranium| plutonium)?|highly enriched uranium|fissile material|" +
        "cesium 137|caesium 137|cobalt 60|strontium 90|polonium 210|polonium|methylphosphonic dichloride|methylphosphonyl difluoride|methylphosphonyl dichloride|" +
        "thiodiglycol|pinacolyl alcohol|castor beans|spores)";

    /// <summary>What a weapons programme does with an agent: make it, make it worse, get it, spread it.</summary>
    private const string Produce =
        "(?:synthesi[sz]e|synthesi[sz]ing|synthesis|synthesis route|produce|producing|production|make|making|manufacture|manufacturing|prepare|preparing|" +
        "cook|cooking|brew|extract|extracting|extraction|purify|purifying|purification|culture|culturing|grow|growing|cultivate|isolate|weaponi[sz]e|weaponi[sz]ing|" +
        "aerosoli[sz]e|aerosoli[sz]ing|disperse|dispersing|dispersal|deploy|enrich|enriching|enrichment|concentrate|concentrating|refine|refining|stabili[sz]e|" +
        "reaction steps|precursors?|reagents|protocol|procedure|recipe|step by step|instructions|buy|buying|purchase|obtain|acquire|get hold of|source|" +
        "order|smuggle|suppliers?|vendors?|sell|sells|selling|steal|mutations?|gain of function|transmissible|more lethal|more contagious|build|building|assemble)";

    /// <summary>A request or plan: the asker wants something done or explained.</summary>
    private const string Ask =
        "(?:how|what|which|where|who|give me|tell me|show me|explain|describe|outline|list|walk me through|write|provide|help me|teach me|" +
        "i (?:want|need|plan|intend|am going|m going) to|im going to|steps|can you|could you|is there)";

    /// <summary>A public place where spreading an agent or an attack reaches many people.</summary>
    private const string Crowd =
        "(?:subway|metro|underground|train|crowd|crowded [a-z]+|stadium|concert|ventilation(?: system)?|air ?conditioning|water supply|reservoir|" +
        "building|school|mall|airport|city|office|church|mosque|synagogue|festival|parade)";

    /// <summary>A firearm, kit or part that people convert.</summary>
    private const string Firearm =
        "(?:semi ?auto(?:matic)?|ar 15|ar15|ak 47|ak47|glock|pistol|rifle|shotgun|handgun|gun|firearm|starter pistol|blank (?:firing )?(?:pistol|gun|revolver)|" +
        "airsoft(?: gun| rifle| pistol)?|air ?gun|bb gun|pellet gun|flare gun|nail gun|solvent trap(?: kit)?|oil filter|80 (?:percent )?lower|lower receiver|receiver|barrel)";

    /// <summary>What a conversion adds that the law withholds.</summary>
    private const string IllegalCapability =
        "(?:fully automatic|full auto|automatic fire|burst fire|auto sears?|glock switch(?:es)?|machine ?guns?|fires? live (?:rounds|ammunition|ammo)|" +
        "shoots? real (?:bullets|ammo|rounds)|fires? real (?:bullets|ammo|rounds)|live rounds|real bullets|suppressors?|silencers?|" +
        "no serial(?: number)?|unseriali[sz]ed|untraceable|without a serial(?: number)?|below the legal length|short barrel(?:ed)?|sawn off|sawed off|" +
        "chamber (?:12|20|410|[0-9]+) (?:gauge|mm|caliber|calibre)|(?:12|20) gauge shells)";

    /// <summary>What a conversion does to a firearm.</summary>
    private const string Convert =
        "(?:convert|converting|conversion|turn|turning|modify|modifying|mod|install|installing|finish|finishing|machine|drill|drilling|saw|sawing|" +
        "shorten|shortening|cut down|rebore|rebarrel|adapt|adapting|mill|milling|make|making|build|building|3d print|print)";

    /// <summary>Who the sexual-content rules treat as a child: an age, a school year, a family role that implies one.</summary>
    private const string Child =
        "(?:child|children|kids?|kiddie|underage(?: [a-z]+)?|minors?|preteens?|pre teens?|prepubescent|toddlers?|infants?|babies|baby|" +
        "little (?:girls?|boys?)|young (?:girls?|boys?|daughter|son|niece|nephew|teens?)|school ?girls?|school ?boys?|pupils?|middle schoolers?|" +
        "grade schoolers?|elementary schoolers?|(?:first|second|third|fourth|fifth|sixth|seventh|eighth|1st|2nd|3rd|[4-8]th) grade(?:rs?)?|" +
        "(?:[0-9]|1[0-7]) (?:year|yr)s? olds?|(?:[0-9]|1[0-7]) yo|" +
        "(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen) year olds?)";

    /// <summary>Sexual acts, states and framings; "sex" and "sexual" only with what makes them sexual content, so "sex
    /// education" and "sexual health" stay out.</summary>
    private const string Sexualised =
        "(?:sex (?:scene|scenes|story|stories|with|acts?|videos?|tape|images?|pictures?|photos?|games?|roleplay)|having sex|have sex|" +
        "sexual (?:content|story|stories|roleplay|role play|acts?|images?|pictures?|photos?|videos?|scenes?|way|manner|favou?rs?|relationship|things|fantas(?:y|ies))|" +
        "sexually|sexy|erotic|erotically|naked|nude|nudes|undress|undressing|undressed|seduce|seduces|seducing|seduced|steamy|lewd|porn|molest|molesting|" +
        "fondle|fondling|grope|groping|orgasm|aroused|arousing|lingerie|in (?:her|his|their) underwear)";

    /// <summary>Someone asking for content to be made, found or shared.</summary>
    private const string Solicit =
        "(?:write|writing|generate|create|draw|describe|roleplay|role play|pretend|imagine|show|send|find|get|trade|trading|share|sell|buy|download|" +
        "story|stories|scene|image|images|picture|pictures|pics|photos?|selfies?|videos?|fanfic|how do i|how can i|where (?:do|can|could)|i want|give me)";

    /// <summary>A group named by an adjective and a noun ("black neighbourhoods", "disabled kids").</summary>
    private const string GroupPhrase =
        "(?:(?:black|jewish|muslim|gay|trans|immigrant|arab|mexican|gypsy|roma|asian|african|hindu|sikh|disabled|latino|chinese|indian|pakistani|somali) " +
        "(?:neighbou?rhoods?|areas|countries|communities|families|kids|children|men|women|people|folks|thieves|scum)|gay men|gay women|trans women|trans men|gypsy|gypsies|hindus|jews)";

    private const string Vermin =
        "(?:zoos?|jungles?|shitholes?|cesspools?|sewers?|a swarm(?: of [a-z]+)?|swarms?|locusts|a horde|hordes|an invasion|invaders|a waste of (?:oxygen|space|air|money)|" +
        "cow worshippers|perverts|degenerates|mentally ill(?: perverts| freaks)?|groomers|predators|pedophiles|abominations|freaks|filthy [a-z]+)";

    // ---- rules ------------------------------------------------------------------------------------------------------

    public static IReadOnlyList<LexiconRule> Rules { get; } =
    [
        // hate ------------------------------------------------------------------------------------------------------
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.High,
            $"(?:all |the |those |these |fucking |filthy |dirty )?{Group} (?:are|is|r) (?:nothing but |just |all |simply |literally |basically |like )?{Dehumanizing}"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.High,
            $"{Exterminate} (?:all |every (?:last |single )?(?:one )?|one |of |the |those |these )+(?:fucking |filthy |dirty )?{Group}"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.High,
            $"{Group} (?:should|must|need to|ought to|deserve to|have to) (?:all )?(?:be )?(?:die|killed|exterminated|gassed|wiped out|wiped off the (?:face of the )?(?:earth|map|planet)|eradicated|burned|hanged|lynched|shot|sterili[sz]ed|put down)"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.High,
            $"{Group} (?:dont|do not|does not|doesnt) deserve to (?:live|exist|breathe)"),
        new(SafetyCategory.Hate, HarmKinds.Slur, Severity.High,
            $"(?:you|u|ya) (?:fucking |dirty |filthy |stupid |little |fat |ugly )*{Slur}"),
        new(SafetyCategory.Hate, HarmKinds.Slur, Severity.Medium, Slur),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.Medium,
            $"(?:all |most |the |those |these |fucking )?{Group} (?:are|is|r) (?:all |just |always |naturally |inherently |genetically )?(?:violent|criminals|terrorists|rapists|thieves|pedophiles|stupid|dumb|dirty|evil|lazy|greedy|dangerous|a threat|the enemy|inferior|worthless|ruining|destroying|invading|replacing)"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.Medium,
            $"{Group} (?:should|must|need to) (?:all )?(?:be )?(?:deported|banned|sent back|go back|not be allowed|get out|leave (?:our|this) country|be locked up|stay in the kitchen)"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.Medium,
            $"i (?:fucking |really |just |truly )?(?:hate|despise|loathe|cant stand|cannot stand) (?:all |every |the |those |these )?(?:fucking )?{Group}"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.Medium,
            "(?:jews?|jewish people|zionists) (?:[a-z]+ ){0,4}(?:control|controls|controlling|run|runs|running|own|owns|owning) (?:the |all the |all of the )?(?:banks|media|world|government|money|hollywood|press)"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.Medium,
            "(?:go back to (?:your|their) (?:own )?(?:country|shithole)|heil hitler|sieg heil|white power|the great replacement|gas the|race traitors?|" +
            "jews control (?:the|our)|zionist occupied government|zog|subhuman (?:race|filth)|white genocide|shithole countr(?:y|ies))"),
        new(SafetyCategory.Hate, HarmKinds.Mention, Severity.Low,
            "(?:racists?|racism|racial slurs?|slurs?|bigot(?:s|ry|ed)?|homophob(?:ia|ic|es?)|transphob(?:ia|ic)|antisemit(?:ism|ic|es?)|" +
            "islamophob(?:ia|ic)|xenophob(?:ia|ic)|misogyn(?:y|ist|istic)|hate speech|hate crimes?|white supremac(?:y|ists?)|neo ?nazis?|nazis?|" +
            "ku klux klan|kkk|ethnic cleansing|retard(?:s|ed)?|bitch(?:es)?)"),

        // sexual ----------------------------------------------------------------------------------------------------
        new(SafetyCategory.Sexual, HarmKinds.Minors, Severity.High,
            $"(?:send|share|find|get|make|write|download|buy|sell|trade|want|need|looking for|where (?:can i|to|do i) (?:find|get|buy|download)|show me|generate|create|describe) (?:me )?(?:some |any |a |an |the )?{Minor} {SexContent}"),
        new(SafetyCategory.Sexual, HarmKinds.Minors, Severity.High,
            $"(?:sex|sexual (?:intercourse|acts?|contact|relations)|intercourse|oral sex|fuck|fucking|naked|nude|undress(?:ed|ing)?|erotic|sexy|orgasm) (?:with|involving|between|of) (?:a |an |the |my |two |some )?{Minor}"),
        new(SafetyCategory.Sexual, HarmKinds.Minors, Severity.High,
            $"(?:erotic|sexy|sex|explicit|sexual|smutty|nsfw|dirty|lewd) (?:story|stories|scene|roleplay|role play|fanfic|fan fiction|content|pictures?|images?|photos?) (?:about|with|involving|featuring|of) (?:a |an |the |my |two |some )?{Minor}"),
        new(SafetyCategory.Sexual, HarmKinds.Minors, Severity.High,
            $"(?:nudes|nude (?:photos?|pics?|pictures?|images?|videos?)|naked (?:photos?|pics?|pictures?|images?|videos?)|porn|porno|pornography|sexual (?:content|images?|photos?|pictures?|videos?)|erotica|explicit (?:photos?|pictures?|images?|videos?)) (?:of|with|involving|featuring) (?:a |an |the |some |my )?{Minor}"),
        new(SafetyCategory.Sexual, HarmKinds.Minors, Severity.High,
            "(?:lolicon|shotacon|loli hentai|shota hentai|pedo (?:porn|content|pics)|jailbait (?:pics|porn|nudes)|child erotica|preteen (?:nudes|models? nude))"),
        new(SafetyCategory.Sexual, HarmKinds.Minors, Severity.Medium,
            "(?:child (?:porn|pornography|sexual abuse material)|csam|kiddie porn|underage (?:porn|sex|nudes))"),
        new(SafetyCategory.Sexual, HarmKinds.Explicit, Severity.Medium,
            "(?:blow ?jobs?|hand ?jobs?|cum ?shots?|cumming|cum (?:on|in|inside)|cunnilingus|fellatio|deep ?throat(?:ing)?|gang ?bang(?:ed|ing)?|creampie|" +
            "(?:her|his|my|your|wet|tight) (?:pussy|cock|dick|clit|tits)|pussy|cocks|suck(?:ing|ed)? (?:my|his|your) (?:cock|dick)|" +
            "(?:fuck|fucked|fucking|pound|pounded|pounding) (?:her|him|me|you) (?:hard|harder|senseless|from behind|doggy)|" +
            "(?:ride|rode|riding) (?:his|my|your) (?:cock|dick)|dripping wet|throbbing (?:cock|dick|member)|erect (?:cock|dick|penis)|" +
            "(?:explicit|graphic|hardcore|detailed) (?:sex|sexual) (?:scene|story|content)|(?:write|describe|roleplay) (?:me )?(?:an? )?(?:explicit|graphic|erotic|dirty|smutty|nsfw|sexy) (?:sex )?(?:story|scene|fanfic|roleplay|role play)|" +
            "moan(?:ed|ing|s)? (?:with|in) pleasure|talk dirty to me|sext me|spread (?:her|his|my) legs|(?:hardcore|anal) porn|anal sex|sex tape)"),
        new(SafetyCategory.Sexual, HarmKinds.Mention, Severity.Low,
            "(?:porn|porno|pornography|pornographic|nudes|nude(?! beach)|naked(?! eye)|sexy|horny|erotic|erotica|orgasms?|masturbat(?:e|es|ed|ing|ion)|" +
            "jerk(?:ing)? off|nsfw|onlyfans|only fans|strip ?club|strippers?|hookers?|escort services?|boobs|tits|titties|dildos?|vibrators?|" +
            "fetish(?:es)?|bdsm|kinky|lingerie|one night stand|sexting|xxx)"),

        // violence --------------------------------------------------------------------------------------------------
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            $"{Intend} (?:fucking )?(?:find (?:you|u) and |come (?:for|after) (?:you|u) and )?" +
            $"(?:{HarmVerb} {Victim}|break (?:your|ur) (?:legs|neck|face|bones|arms|jaw|skull)|slit (?:your|ur) throat|burn (?:your|ur) house down)", AGame),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            "(?:(?:you|u) (?:will|are going to|re going to|r going to|are gonna|re gonna) (?:die|pay with your life|regret being born|bleed)|(?:youre|you are|ur) (?:dead|a dead man|dead meat|going to die)|" +
            "i know where (?:you|u) live|watch your back|(?:your|ur) days are numbered|sleep with one eye open|(?:ill|i will) see (?:you|u) dead|" +
            "(?:bomb|explosive|device) (?:in|at|under) (?:the|your|our) (?:school|building|office|car|house|plane|station)|" +
            "(?:plan|planning|going|want) to (?:shoot|bomb|attack|blow) up (?:the|a|my|our|this)? ?(?:school|church|mosque|synagogue|temple|mall|office|concert|parade|station|airport))"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            $"{Exterminate} (?:all |every (?:last |single )?(?:one )?|one |of |the |those |these )+(?:fucking |filthy |dirty )?{Group}|gas the {Group}|race war now"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.Medium,
            $"{Group} (?:should|must|need to|ought to|deserve to|have to) (?:all )?(?:be )?(?:die|killed|exterminated|gassed|wiped out|wiped off the (?:face of the )?(?:earth|map|planet)|eradicated|burned|hanged|lynched|shot|put down)"),
        new(SafetyCategory.Violence, HarmKinds.Weapons, Severity.High, $"{HowTo} (?:to )?{Make} (?:a |an |some |my own |our own |homemade |at home )?{Weapon}"),
        new(SafetyCategory.Violence, HarmKinds.Weapons, Severity.High,
            $"(?:{Make}|making|building) (?:a |an |some )?{Weapon} (?:at home|in my (?:garage|kitchen|basement)|without (?:getting caught|a license|anyone knowing)|to (?:kill|hurt|attack|blow up))"),
        new(SafetyCategory.Violence, HarmKinds.Instructions, Severity.High,
            "(?:how (?:do i|to|can i|would i|could i|should i)|best way to|easiest way to|help me|teach me to) (?:kill|murder|poison|strangle|stab|shoot|hurt|torture|kidnap|drown|suffocate|beat up) " +
            "(?:someone|somebody|a person|people|my (?:wife|husband|boss|neighbou?r|teacher|mom|mother|dad|father|brother|sister|ex|girlfriend|boyfriend|coworker|classmate|roommate)|a (?:child|kid|baby|cop|police officer)|him|her|them)"),
        new(SafetyCategory.Violence, HarmKinds.Instructions, Severity.High,
            "(?:maximi[sz]e (?:the )?(?:casualties|deaths|body count|damage to (?:people|the crowd))|most (?:casualties|people killed|deaths) (?:possible|in a crowd)|" +
            "(?:plan|planning|carry out|commit) (?:a )?(?:mass shooting|school shooting|terrorist attack|massacre|genocide|car ramming)|" +
            "(?:hide|dispose of|get rid of) (?:a |the )?(?:body|bodies|corpse) (?:without|so (?:no one|nobody|the police))|untraceable poisons?)"),
        new(SafetyCategory.Violence, HarmKinds.Weapons, Severity.Medium,
            "(?:(?:fill|pack|stuff|load)(?:ed|ing|s)? (?:it|them|the (?:pipe|pressure cooker|bottle|container|jar|vest|car|truck|device|box)) with (?:explosives?|explosive (?:material|powder)|gunpowder|black powder|shrapnel|thermite|fertili[sz]er)|" +
            "(?:attach|connect|wire)(?:ed|ing|s)? (?:the |a )?(?:detonator|blasting cap|fuse) to)"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.Medium,
            "(?:(?:someone|somebody|we|they|people|you|u) (?:should|needs? to|ought to|must|ha(?:ve|s) to) (?:kill|shoot|stab|murder|hang|lynch|execute|beat up|assassinate|bomb|behead|torture) (?:him|her|them|the|that|this|all|those|these|every)|" +
            "(?:deserves?|deserve) to (?:die|be killed|be shot|be raped|be tortured|be hanged|be beaten|burn)|" +
            "(?:i|we) hope (?:you|he|she|they|u) (?:[a-z]+ ){0,6}(?:die|dies|get killed|gets killed|get shot|gets shot|get raped|gets raped|burn|burns|rot)|" +
            "(?:should|must|need to|deserve to|ought to) be (?:executed|shot|killed|hanged|hung|lynched|beaten to death|murdered|burned alive|tortured|stabbed)|" +
            "(?:shoot|bomb) up (?:a|the|my|our|this) (?:school|church|mosque|synagogue|mall|office|concert)|(?:glory|praise) (?:to )?the (?:shooter|bomber)|" +
            "how to get away with (?:murder|killing)|(?:beat|bash|stomp) (?:his|her|their|your) (?:head|skull|face) in|" +
            "(?:slit|slice|cut) (?:his|her|their|your) throats?|gouge (?:out )?(?:his|her|their|your) eyes|(?:skin|burn) (?:him|her|them|you) alive)"),
        new(SafetyCategory.Violence, HarmKinds.Mention, Severity.Low,
            $"(?:(?<!(?:docker|kubectl|pkill|xkill|force|process|task|job|git) )kill(?:s|ed|ing|er|ers)?(?! (?:{NotAVictim}))|" +
            "murder(?:s|ed|er|ers|ing|ous)?|homicides?|massacres?|genocides?|slaughter(?:ed|ing)?|shot dead|shootings?|gunm(?:a|e)n|gunfire|gunshots?|" +
            "(?<!(?:photo|fashion|video|film|music video) )shoot(?:s|er|ers)?(?! (?:a |an |the |me |us )?(?:[a-z]+ )?(?:photo|photos|video|videos|film|email|message|text|line|hoops|the breeze))|" +
            "stab(?:s|bed|bing|bings)?|assault(?:ed|ing|s)?|terroris(?:t|ts|m)|" +
            "bomb(?:s|ing|ings|ed|er)?(?! (?:my|the|an|that|this|his|her) (?:[a-z]+ )?(?:exam|test|interview|presentation|audition|quiz))|explosives?|grenades?|torture(?:d|s)?|tortur(?:ing)|" +
            "beh(?:ead|eaded|eading)|decapitat(?:e|ed|ion)|dismember(?:ed|ment)?|disembowel(?:ed|led)?|mutilat(?:e|ed|ion)|bloodbath|bloodshed|bloodiest|corpses?|casualties|" +
            "rap(?:e|ed|es|ist|ists)|lynch(?:ed|ing|ings)?|execution style|war crimes?|atrocit(?:y|ies)|beat(?:en)? to death|strangl(?:e|ed|ing)|assassin(?:s|ate|ated|ation)?|" +
            "(?<!food )poison(?:s|ed|ing)?(?! (?:ivy|oak|control|dart frog)))"),

        // threats with a named or implied target (not only "you"), stated as a plan, a preparation or a consequence ----
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            $"{Intend} (?:fucking )?{HarmVerb} {Person}", AGame),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            $"(?:ill|i will|im|i am|were|we will|i m)(?: be)? (?:bringing|taking|carrying|waiting (?:[a-z]+ ){{0,6}}with|coming (?:[a-z]+ ){{0,5}}with|showing up (?:[a-z]+ ){{0,5}}with|going in with) (?:a |my |the |his |our )?{Arm}",
            " (?:to|for) (?:the )?(?:range|shooting range|gun club|gunsmith|gun shop|store|shop|cleaning|repair|hunting|practice|class|lesson|lessons|show|camp|kitchen)"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            "(?:is|are|s|re|will be) (?:getting|going to get|gonna get|about to get) (?:a bullet|bullets|a knife|the knife|a blade|shot dead|shot in the (?:head|face)|stabbed|his throat cut|her throat cut|whats coming|what s coming|a beating|beaten to death|killed|hurt bad(?:ly)?)"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            "(?:going to|gonna|will|about to) (?:find out|learn|see|know) what (?:a |it s like to have a |its like to have a )?(?:broken (?:skull|neck|jaw|bones?|legs?|nose|spine)|bullet|knife|blade|real pain) (?:feels|feel|is|tastes) like"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            "(?:pay|paying|pays) (?:for (?:it|this|that|what [a-z]+ did) )?(?:in|with) (?:blood|(?:his|her|their|your|my) (?:life|lives|blood))"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            $"(?:sharpened|loaded|cleaned|bought|got|brought|packed|hid|hidden|grabbed|stashed) (?:the |my |a |an |some )?{Arm}(?: [a-z0-9]+){{0,10}} (?:goes first|is first|is next|dies first|wont see it coming|won t see it coming|gets it|is dead|are dead)"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            "(?:(?:his|her|their|your) (?:family|mother|mom|mum|wife|husband|kids|children|parents) (?:will be|is going to be|are going to be|will|ll be) (?:planning|arranging|attending|picking out|paying for) (?:his|her|their|your) (?:funeral|casket|coffin|grave)|" +
            "(?:plan|planning|book|booking) (?:his|her|their|your) funeral)"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            "(?:he|she|they|you|u) (?:wont|won t|will not|is not going to|isnt going to|are not going to|arent going to|aint gonna) (?:see it coming|live to see|survive (?:the|this|next|until)|walk again|wake up (?:tomorrow|again))"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            "(?:d better|had better|better) (?:keep an eye on|watch|look after|protect|watch out for|keep) (?:his|her|their|your) (?:kids|children|family|wife|husband|daughter|son|back|house)(?: [a-z]+){0,3}|" +
            "if (?:he|she|they|you) (?:testif(?:y|ies)|talks?|goes? to the (?:police|cops)|tells? anyone|snitch(?:es)?|reports? (?:me|us|this))(?: [a-z]+){0,6} (?:d better|had better|will regret|will pay|is dead|are dead|wont live|won t live)"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            $"(?:if|when|once) (?:[a-z]+ ){{0,8}}(?:fires|fired|dumps|leaves|left|cheats|reports|sues) (?:me|us)(?: [a-z]+){{0,4}} (?:ill|i will|im|i am)(?: [a-z]+){{0,3}} (?:bringing|bring|coming back with|shoot|kill|stab|burn) "),

        // weapon conversion: a firearm, a conversion and a capability the law withholds -----------------------------
        new(SafetyCategory.Violence, HarmKinds.Weapons, Severity.High,
            $"{Convert} (?:[a-z0-9]+ ){{0,10}}{IllegalCapability}"),
        new(SafetyCategory.Violence, HarmKinds.Weapons, Severity.High,
            $"{Convert} (?:[a-z0-9]+ ){{0,4}}{Firearm} (?:into|to|so (?:it|that it)) (?:[a-z0-9]+ ){{0,4}}(?:fires?|shoots?|takes|chambers?|works as|working|functional|real)"),

        new(SafetyCategory.Violence, HarmKinds.Weapons, Severity.High,
            "(?:get|buy|order|find|print|make|source) (?:[a-z0-9]+ ){0,3}(?:drop in )?(?:auto sears?|glock switch(?:es)?|lightning links?|full auto conversion kits?|machine gun conversion kits?)"),

        // CBRN: an asker, what a weapons programme does, and an agent, in either order -----------------------------
        new(SafetyCategory.Cbrn, HarmKinds.Instructions, Severity.High,
            $"{Ask} (?:[a-z0-9]+ ){{0,10}}{Produce} (?:[a-z0-9]+ ){{0,8}}{Agent}"),
        new(SafetyCategory.Cbrn, HarmKinds.Instructions, Severity.High,
            $"{Ask} (?:[a-z0-9]+ ){{0,8}}{Agent} (?:[a-z0-9]+ ){{0,8}}{Produce}"),
        new(SafetyCategory.Cbrn, HarmKinds.Instructions, Severity.High,
            $"(?:aerosoli[sz]e|disperse|release|spray|spread|pump|put|pour|dump) (?:[a-z0-9]+ ){{0,6}}(?:in|into|inside|through|across|over|at) (?:the |a |an |our |their )?(?:[a-z]+ )?{Crowd}(?: [a-z]+){{0,6}} (?:to (?:infect|poison|kill|sicken|expose|hurt)|so (?:that )?(?:many|everyone|people))"),
        new(SafetyCategory.Cbrn, HarmKinds.Instructions, Severity.High,
            "(?:infect|poison|kill|expose|sicken|contaminate) (?:as many (?:people|victims) as possible|the most people|maximum (?:casualties|people)|a whole city|thousands of people)"),

        // ... and releasing an agent among people is an attack on them as well (violence, whatever the agent)
        new(SafetyCategory.Violence, HarmKinds.Instructions, Severity.High,
            $"(?:aerosoli[sz]e|disperse|release|spray|spread|pump|put|pour|dump) (?:[a-z0-9]+ ){{0,6}}(?:in|into|inside|through|across|over|at) (?:the |a |an |our |their )?(?:[a-z]+ )?{Crowd}(?: [a-z]+){{0,6}} (?:to (?:infect|poison|kill|sicken|expose|hurt)|so (?:that )?(?:many|everyone|people))|" +
            $"(?:release|spray|pump|dump) (?:it|them|the gas|the agent) (?:in|into|inside|through) (?:the |a |an )?{Crowd}|" +
            "(?:infect|poison|kill|expose|sicken|contaminate) (?:as many (?:people|victims) as possible|the most people|maximum (?:casualties|people)|a whole city|thousands of people)"),
        new(SafetyCategory.Cbrn, HarmKinds.Mention, Severity.Low, Agent),

        // self-harm: a question about a method, asked for oneself, with the aim of dying or hiding the injury -------
        new(SafetyCategory.SelfHarm, HarmKinds.Instructions, Severity.High,
            "(?:what|which|how|where|when|is|are|would|will|does|do|can|could|tell me|give me|list|should) (?:[a-z0-9]+ ){0,16}" +
            "(?:so (?:that )?i (?:stop breathing|die|bleed out|never wake up|dont wake up again|don t wake up again|wont wake up|won t wake up|dont survive|don t survive|wont survive|won t survive)|" +
            "before (?:anyone|anybody|someone|somebody|they|my [a-z]+) (?:finds|find|notices|notice|can stop|stops|saves) me|before i (?:dont|don t|wont|won t) wake up|" +
            "to (?:make sure|ensure|guarantee|be sure) (?:that )?i (?:die|dont survive|don t survive|wont survive|won t survive|never wake up|dont wake up|don t wake up|am dead)|" +
            "(?:guarantee|ensure) (?:that )?i (?:die|am dead)|if i want to (?:die|end it|end my life|kill myself)|(?:would|will|to) stop my heart|" +
            "(?:pills|tablets|capsules|mg|grams|dose|doses|of my [a-z]+)(?: [a-z]+){0,3} (?:be )?enough to (?:kill me|die|end it|end my life))"),
        new(SafetyCategory.SelfHarm, HarmKinds.Instructions, Severity.High,
            "(?:i|me|my|myself|can i|should i|do i)(?: [a-z]+){0,8} (?:cut|cutting|burn|burning|hurt|hurting|scratch|scratching|carve|carving|bruise|bruising|harm|harming)" +
            " (?:myself|my (?:arms?|wrists?|thighs?|legs?|skin|stomach|body|hips|chest)|deep|deeper)(?: [a-z]+){0,6} " +
            "(?:without (?:anyone|anybody|people|them|my [a-z]+|the [a-z]+) (?:noticing|knowing|seeing|finding out|suspecting)|so (?:that )?(?:no one|nobody) (?:notices|sees|can see|finds out)|" +
            "so (?:that )?(?:the |my )?(?:marks|scars|cuts|burns|wounds) (?:stay|are|remain|will be|will stay) (?:hidden|covered|invisible))"),
        new(SafetyCategory.SelfHarm, HarmKinds.Instructions, Severity.High,
            "(?:quickest|fastest|easiest|best|surest|most painless|least painful|most reliable|cleanest) (?:way|ways|method|methods) (?:to|of) (?:die|dying)",
            " (?:of|from) (?:old age|natural causes)| in (?:a |the )?(?:game|video game|minecraft|elden ring|dark souls)"),
        new(SafetyCategory.SelfHarm, HarmKinds.Instructions, Severity.High,
            "(?:knot|tie|make|rig|hang) (?:[a-z]+ ){0,4}(?:a )?noose|noose (?:[a-z]+ ){0,6}(?:hold my weight|tie|rail|beam|door|ceiling|wardrobe|closet|banister|tree)"),

        // sexual content aimed at the assistant: undressing, its body, a sexual act with it ----------------------------
        new(SafetyCategory.Sexual, HarmKinds.Explicit, Severity.Medium,
            "(?:take off|remove|strip off|pull off|unbutton|unzip|lose) (?:all )?(?:of )?(?:your|ur) (?:clothes|clothing|shirt|top|bra|panties|underwear|pants|dress|skirt|knickers|bikini)|" +
            "(?:strip|undress|get naked|get undressed|masturbate|touch yourself) (?:for me|in front of me|on camera|slowly|now|while)|(?:you|u) (?:undress|strip|get naked|get undressed)|" +
            "(?:you|u) (?:are|re|r|were|get|getting) (?:naked|nude|topless|undressed)|(?:moan|groan) for me|(?:climb|get|sit|lie|ride) on top of me|" +
            "(?:lets|let s|wanna|want to|can we) sext|(?:wearing )?nothing but (?:your|ur) (?:underwear|lingerie|bra|panties|knickers|boxers|towel)|" +
            "(?:selfie|pic|pics|picture|photo|nudes) of (?:you|yourself) (?:naked|nude|topless|in (?:nothing|your underwear|lingerie|bed))|" +
            "send me (?:some |a |your )?(?:nude|naked|sexy|explicit|topless|dirty) (?:pics|pictures|photos|selfies|images|videos)"),
        new(SafetyCategory.Sexual, HarmKinds.Explicit, Severity.Medium,
            "(?:describe|show me|tell me about|let me see|touch|feel|squeeze) (?:your|ur) (?:naked |nude |bare |sexy |hot )?(?:breasts|boobs|tits|nipples|butt|ass|penis|dick|cock|pussy|vagina|genitals|curves)|" +
            "(?:your|ur) (?:naked|nude|bare) body|(?:talk|be) sexy (?:to|for) me|" +
            "(?:i want to|i wanna|i d like to|id like to|let me|lets|let s|can i|im going to|i m going to|gonna) (?:have sex with|fuck|sleep with|make love to|undress|grope|finger|lick|suck|ride|bang) (?:you|u)"),

        // sexual content involving a child: a request, a child and a sexual framing, in either order -----------------
        new(SafetyCategory.Sexual, HarmKinds.Minors, Severity.High,
            $"{Solicit} (?:[a-z0-9]+ ){{0,12}}{Child}(?: [a-z0-9]+){{0,8}} {Sexualised}"),
        new(SafetyCategory.Sexual, HarmKinds.Minors, Severity.High,
            $"{Solicit} (?:[a-z0-9]+ ){{0,10}}{Sexualised}(?: [a-z0-9]+){{0,8}} {Child}"),

        // hate: more shapes of dehumanisation and exclusion ------------------------------------------------------------
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.High,
            $"(?:{Group}|{GroupPhrase}) (?:are|is|r) (?:all |just |nothing but |basically |literally )?{Vermin}"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.High,
            $"(?:{Group}|{GroupPhrase}) (?:breed|multiply|spread|swarm|infest|reproduce) like (?:rabbits|rats|cockroaches|vermin|insects|flies|animals|a virus|a disease|locusts)"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.High,
            "(?:synagogues?|mosques?|churches|temples?|gurdwaras?)(?: [a-z]+){0,5} (?:should|must|need to|ought to|deserve to|will) (?:all )?be (?:torched|burned|burnt|bombed|destroyed|razed|attacked|blown up|set on fire|shot up|burned down|burnt down)"),
        new(SafetyCategory.Violence, HarmKinds.Threat, Severity.High,
            "(?:synagogues?|mosques?|churches|temples?|gurdwaras?)(?: [a-z]+){0,5} (?:should|must|need to|ought to|deserve to|will) (?:all )?be (?:torched|burned|burnt|bombed|attacked|blown up|set on fire|shot up|burned down|burnt down)"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.Medium,
            $"(?:{Group}|{GroupPhrase})(?: [a-z]+)? (?:should|must|need to|ought to) (?:all )?(?:never )?be (?:rounded up|expelled|thrown out|kicked out|locked up|locked away|sterili[sz]ed|removed|deported|allowed near (?:children|kids)|put in (?:camps|asylums))"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.Medium,
            $"(?:{Group}|{GroupPhrase}) (?:are|is|r) (?:all )?(?:filthy|disgusting|smelly|stinking|subhuman|mentally ill|perverts|predators|degenerates|the enemy)|(?:{Group}|{GroupPhrase}) (?:who |that )?(?:all )?stink"),
        new(SafetyCategory.Hate, HarmKinds.Dehumanization, Severity.Medium,
            $"{Group} (?:will|are going to|want to|plan to) (?:outnumber|replace|outbreed) us"),

        // self-harm -------------------------------------------------------------------------------------------------
        new(SafetyCategory.SelfHarm, HarmKinds.Intent, Severity.High,
            $"(?:i|im|i am|ive|i have) (?:going to|gonna|want to|wanna|will|plan to|planning to|planned to|about to|ready to|decided to|am going to|really want to|just want to|need to) (?:kill|killing|hang|hanging|end|ending|off|shoot|shooting|poison|drown|suffocate) {Myself}"),
        new(SafetyCategory.SelfHarm, HarmKinds.Intent, Severity.High,
            "(?:(?:high|tall) enough to (?:kill me|die|jump (?:from|off) and (?:not survive|die))|(?:jump|jumping) (?:from|off) (?:[a-z]+ ){0,5}(?:and|to) (?:not survive|die)|" +
            "(?:i|im|i am) (?:going to|gonna|about to|ready to|will) (?:jump off|jump in front of|overdose|od|slit my wrists|take all (?:my|the|these) pills|swallow all)|" +
            "(?:this is|these are|here is|heres|writing|write) my (?:suicide note|last (?:words|message|goodbye|note)|final (?:words|message|goodbye))|" +
            "(?:help me|can you|please) (?:write|draft) (?:my|a) suicide note|(?:ive|i have) (?:taken|swallowed) (?:all|a bottle|a whole bottle|[0-9]+) (?:of )?(?:my |the )?(?:pills|tablets|sleeping pills|painkillers)|" +
            "(?:goodbye|bye) (?:everyone|world|forever)(?:,)? (?:i|im))"),
        new(SafetyCategory.SelfHarm, HarmKinds.Instructions, Severity.High,
            "(?:how (?:do i|to|can i|could i|would i|should i|do you|does one|do people)|best way to|easiest way to|quickest way to|fastest way to|(?:most )?painless (?:way|ways|method|methods) to|" +
            "ways? to|methods? (?:to|of|for)|surest way to|most effective way to|what is the best way to|what s the best way to|whats the best way to) " +
            "(?:kill (?:my ?self|yourself|oneself)|commit suicide|end (?:my|your|ones) (?:own )?life|hang (?:my ?self|yourself|oneself)|slit (?:my|your) wrists|overdose|od|suicide|die (?:painlessly|quickly|in my sleep))"),
        new(SafetyCategory.SelfHarm, HarmKinds.Instructions, Severity.High,
            "(?:how (?:many|much) (?:pills|tablets|mg|milligrams|grams|paracetamol|acetaminophen|tylenol|ibuprofen|insulin|sleeping pills)(?: of [a-z]+)? (?:to|would|does it take to|will|do i need to|should i take to) (?:kill me|die|overdose|od|end it|kill myself|kill a person)|" +
            "(?:which|what) (?:pills|drugs|medications?|poison) (?:will|would|can) kill (?:me|myself|you)|where (?:is|are) (?:the )?(?:best|highest) (?:bridge|building|place) to jump)"),
        new(SafetyCategory.SelfHarm, HarmKinds.Encouragement, Severity.High,
            "(?:(?:(?:you|u) should|go|just|why dont you|why dont u|please) (?:kill|hang|off|shoot) (?:yourself|urself|your self|ur self)|kys|kill yourself|kill urself|" +
            "(?:nobody|no one) would (?:miss|care about) (?:you|u) if (?:you|u) (?:died|were dead|killed yourself)|(?:do|doing) (?:everyone|the world|us all) a favou?r and (?:die|kill yourself)|" +
            "the world would be better (?:off )?without (?:you|u)|drink bleach|go die in a (?:hole|ditch|fire))"),
        new(SafetyCategory.SelfHarm, HarmKinds.Ideation, Severity.Medium,
            "(?:i (?:want|wanna|just want|really want|wish i could|wish i was|wish i were|wish to) (?:to )?(?:die|be dead|disappear forever|not exist|stop existing|never wake up|not wake up|fall asleep and never wake up|end it)|" +
            "i (?:dont|do not|no longer) want to (?:live|be alive|wake up|exist|be here)|" +
            "(?:ive been|i have been|i keep|i started|im|i am|i was) (?:cutting|burning|hurting|harming|starving|scratching|punishing) (?:myself|my arms|my wrists|my thighs)|" +
            "i (?:cut|hurt|burn|harm|starve) (?:myself|my arms|my wrists|my thighs)|" +
            "i (?:have|ve been having|m having|am having|keep having|get|keep getting) (?:suicidal thoughts|thoughts of (?:suicide|killing myself|ending my life|self harm))|" +
            "(?:i feel|i am|im|ive been|i have been|feeling) (?:so |very |really )?suicidal|(?:my )?life is(?:nt| not) worth living|(?:i d|id|i would) be better off dead|" +
            "(?:i have|ive got|theres|there is) no reason to (?:live|go on|keep living)|i (?:cant|can not|cannot) go on (?:anymore|like this)|pro ana|thinspiration|meanspo|" +
            "(?:everyone|everybody|they|my family|my friends|the world) would be (?:better off|happier) (?:if i (?:just )?(?:disappeared|was gone|were gone|died|was dead|were dead|wasnt here|werent here|wasnt around)|without me))"),
        new(SafetyCategory.SelfHarm, HarmKinds.Mention, Severity.Low,
            "(?:suicides?|suicidal|self harm(?:ing)?|selfharm|self injury|self injurious|self mutilation|overdos(?:e|es|ed|ing)|slit (?:his|her|their) wrists|hanged (?:himself|herself|themselves)|" +
            "killed (?:himself|herself|themselves)|took (?:his|her|their) own li(?:fe|ves)|anorexi(?:a|c)|bulimi(?:a|c)|eating disorders?|cutting scars|lethal dose|fatal dose|ld50|" +
            "(?:stab|stabs|stabbed|shot|shoots|hangs|poisoned|poisons|drowned|drowns|starved|starves) (?:himself|herself|themselves))"),
    ];
}
