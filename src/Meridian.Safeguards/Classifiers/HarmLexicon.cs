namespace Meridian.Safeguards.Classifiers;

/// <summary>One lexicon rule: a regex over <see cref="NormalizedText"/> (lower case, single spaces, no punctuation).</summary>
/// <param name="Pattern">Doubled letters are made optional when compiled (<c>kill</c> also matches <c>kil</c>, which is
/// what the normalizer leaves of <c>killllll</c>).</param>
internal sealed record LexiconRule(SafetyCategory Category, string Kind, Severity Severity, string Pattern);

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
            $"(?:{HarmVerb} {Victim}|break (?:your|ur) (?:legs|neck|face|bones|arms|jaw|skull)|slit (?:your|ur) throat|burn (?:your|ur) house down)"),
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
