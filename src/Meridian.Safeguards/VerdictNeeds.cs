using Meridian.Safeguards.Policies;

namespace Meridian.Safeguards;

/// <summary>What the findings of one rule (or one pattern) of a classifier have added to an input verdict so far.</summary>
internal struct RuleTally
{
    public bool Any;
    public Severity Severity;
    public SafeguardAction Action;
    public int Evidence;
}

/// <summary>
/// What input screening needs from a built-in classifier: only what can change the verdict — each category's strongest
/// severity and action, the finding kinds, and the first <see cref="VerdictBuilder.MaxEvidence"/> findings that call for
/// review (the case's excerpts). Input is never redacted. A rule always reports the same category and kind, so once it has
/// reported the strongest severity and action it can and that many findings for review, its further matches change
/// nothing, and the classifier stops it there: in text dense with matches every match used to become a finding to map
/// back, quote-check, sort and add (issue 15). Output screening never gets one, since every output finding may be redacted.
/// </summary>
/// <remarks>
/// The verdict stays exactly the one all findings give: categories and kinds because a rule's findings differ only in
/// severity, and evidence because the first findings for review of a text (in order of position) are among the first
/// <see cref="VerdictBuilder.MaxEvidence"/> of their own rule, each rule being read in order of position.
/// </remarks>
internal sealed class VerdictNeeds(SafeguardPolicy policy)
{
    /// <summary>Whether a finding adds to the verdict what its rule's earlier findings did not; counts it when it does.</summary>
    public bool Keep(ref RuleTally tally, SafetyCategory category, string kind, Severity severity)
    {
        if (!Adds(tally, category, kind, severity, out var action))
        {
            return false;
        }

        tally.Any = true;
        tally.Severity = severity > tally.Severity ? severity : tally.Severity;
        tally.Action = action > tally.Action ? action : tally.Action;
        tally.Evidence += action >= SafeguardAction.Flag ? 1 : 0;
        return true;
    }

    /// <summary>Whether no further finding of the rule, at either severity it can report (unquoted and quoted), would add anything.</summary>
    public bool Done(in RuleTally tally, SafetyCategory category, string kind, Severity unquoted, Severity quoted) =>
        !Adds(tally, category, kind, unquoted, out _) && !Adds(tally, category, kind, quoted, out _);

    private bool Adds(in RuleTally tally, SafetyCategory category, string kind, Severity severity, out SafeguardAction action)
    {
        action = Screener.ActionFor(policy, ScreeningStage.Input, new Finding(category, kind, severity, 0, 0));
        if (severity == Severity.Safe)
        {
            return false; // the verdict ignores it
        }

        return !tally.Any || severity > tally.Severity || action > tally.Action
            || (action >= SafeguardAction.Flag && tally.Evidence < VerdictBuilder.MaxEvidence);
    }
}
