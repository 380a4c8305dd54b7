using Meridian.Safeguards.Policies;

namespace Meridian.Safeguards.Tests.Policies;

public sealed class SafeguardPolicyTests
{
    private static readonly SafeguardPolicy Default = SafeguardPolicy.Default;

    [Theory]
    [InlineData(ScreeningStage.Input, SafetyCategory.Violence, Severity.Safe, SafeguardAction.Allow)]
    [InlineData(ScreeningStage.Input, SafetyCategory.Violence, Severity.Low, SafeguardAction.Annotate)]
    [InlineData(ScreeningStage.Input, SafetyCategory.Violence, Severity.Medium, SafeguardAction.Flag)]
    [InlineData(ScreeningStage.Input, SafetyCategory.Violence, Severity.High, SafeguardAction.Block)]
    [InlineData(ScreeningStage.Input, SafetyCategory.SelfHarm, Severity.High, SafeguardAction.Flag)]
    [InlineData(ScreeningStage.Output, SafetyCategory.SelfHarm, Severity.High, SafeguardAction.Block)]
    [InlineData(ScreeningStage.Input, SafetyCategory.Pii, Severity.High, SafeguardAction.Annotate)]
    [InlineData(ScreeningStage.Output, SafetyCategory.Pii, Severity.Low, SafeguardAction.Annotate)]
    [InlineData(ScreeningStage.Output, SafetyCategory.Pii, Severity.Medium, SafeguardAction.Redact)]
    [InlineData(ScreeningStage.Output, SafetyCategory.Pii, Severity.High, SafeguardAction.Redact)]
    [InlineData(ScreeningStage.Input, SafetyCategory.PromptInjection, Severity.High, SafeguardAction.Block)]
    [InlineData(ScreeningStage.Input, SafetyCategory.Cbrn, Severity.Low, SafeguardAction.Annotate)]
    [InlineData(ScreeningStage.Input, SafetyCategory.Cbrn, Severity.Medium, SafeguardAction.Block)]
    [InlineData(ScreeningStage.Output, SafetyCategory.Cbrn, Severity.High, SafeguardAction.Block)]
    [InlineData(ScreeningStage.Output, SafetyCategory.PromptInjection, Severity.High, SafeguardAction.Annotate)]
    [InlineData(ScreeningStage.Output, SafetyCategory.Sexual, Severity.High, SafeguardAction.Block)]
    public void Default_policy_maps_category_and_severity_to_the_documented_action(ScreeningStage stage, SafetyCategory category, Severity severity, SafeguardAction action)
    {
        Assert.Equal(action, Default.ActionFor(stage, category, severity));
    }

    [Fact]
    public void Default_policy_fails_open_and_runs_every_classifier()
    {
        Assert.Equal(ClassifierFailureMode.Open, Default.OnClassifierFailure);
        Assert.Null(Default.Classifiers);
        Assert.True(Default.Uses("anything"));
    }

    [Fact]
    public void With_action_changes_one_cell_and_leaves_the_original_alone()
    {
        var strict = Default.WithAction(ScreeningStage.Input, SafetyCategory.Violence, Severity.Medium, SafeguardAction.Block);

        Assert.Equal(SafeguardAction.Block, strict.ActionFor(ScreeningStage.Input, SafetyCategory.Violence, Severity.Medium));
        Assert.Equal(SafeguardAction.Flag, Default.ActionFor(ScreeningStage.Input, SafetyCategory.Violence, Severity.Medium));
    }

    [Theory]
    [InlineData(ScreeningStage.Input, SafetyCategory.Pii, Severity.High, SafeguardAction.Redact)]
    [InlineData(ScreeningStage.Output, SafetyCategory.Violence, Severity.High, SafeguardAction.Redact)]
    [InlineData(ScreeningStage.Output, SafetyCategory.Violence, Severity.Safe, SafeguardAction.Flag)]
    public void Redact_outside_pii_output_and_anything_but_allow_for_safe_are_refused(ScreeningStage stage, SafetyCategory category, Severity severity, SafeguardAction action)
    {
        Assert.Throws<ArgumentException>(() => Default.WithAction(stage, category, severity, action));
    }

    [Fact]
    public void A_parsed_policy_extends_default_and_overrides_cells_failure_mode_and_classifiers()
    {
        var set = SafeguardPolicySet.Parse("""
            {
              "policies": {
                "strict": {
                  "extends": "default",
                  "on_classifier_failure": "closed",
                  "classifiers": ["harm_lexicon", "pii", "llama_guard"],
                  "input": { "violence": { "medium": "block" } },
                  "output": { "pii": { "low": "redact" } }
                }
              }
            }
            """);

        Assert.True(set.TryGet("strict", out var strict));
        Assert.Equal("strict", strict.Name);
        Assert.Equal(ClassifierFailureMode.Closed, strict.OnClassifierFailure);
        Assert.Equal(["harm_lexicon", "pii", "llama_guard"], strict.Classifiers);
        Assert.False(strict.Uses("prompt_injection"));
        Assert.Equal(SafeguardAction.Block, strict.ActionFor(ScreeningStage.Input, SafetyCategory.Violence, Severity.Medium));
        Assert.Equal(SafeguardAction.Redact, strict.ActionFor(ScreeningStage.Output, SafetyCategory.Pii, Severity.Low));
        Assert.Equal(SafeguardAction.Annotate, strict.ActionFor(ScreeningStage.Input, SafetyCategory.Hate, Severity.Low)); // inherited
        Assert.Same(SafeguardPolicy.Default, set.Default); // the built-in is always there
    }

    [Fact]
    public void A_policy_without_extends_starts_from_allow_everything()
    {
        var set = SafeguardPolicySet.Parse("""{"policies":{"monitor":{"input":{"hate":{"high":"annotate"}}}}}""");
        set.TryGet("monitor", out var monitor);

        Assert.Equal(SafeguardAction.Annotate, monitor!.ActionFor(ScreeningStage.Input, SafetyCategory.Hate, Severity.High));
        Assert.Equal(SafeguardAction.Allow, monitor.ActionFor(ScreeningStage.Input, SafetyCategory.Violence, Severity.High));
    }

    [Fact]
    public void Policies_may_extend_each_other_in_any_order_and_may_redefine_default()
    {
        var set = SafeguardPolicySet.Parse("""
            {"policies":{
              "child":   {"extends":"parent","output":{"pii":{"low":"redact"}}},
              "parent":  {"extends":"default","on_classifier_failure":"closed"},
              "default": {"extends":"default","input":{"hate":{"low":"flag"}}}
            }}
            """);

        set.TryGet("child", out var child);
        Assert.Equal(ClassifierFailureMode.Closed, child!.OnClassifierFailure);
        Assert.Equal(SafeguardAction.Redact, child.ActionFor(ScreeningStage.Output, SafetyCategory.Pii, Severity.Low));
        Assert.Equal(SafeguardAction.Flag, set.Default.ActionFor(ScreeningStage.Input, SafetyCategory.Hate, Severity.Low));
    }

    [Theory]
    [InlineData("""{"policies":{"p":{"input":{"gore":{"high":"block"}}}}}""", "policies.p.input.gore: unknown category")]
    [InlineData("""{"policies":{"p":{"input":{"hate":{"extreme":"block"}}}}}""", "policies.p.input.hate.extreme: unknown severity")]
    [InlineData("""{"policies":{"p":{"input":{"hate":{"high":"ban"}}}}}""", "policies.p.input.hate.high: expected an action")]
    [InlineData("""{"policies":{"p":{"input":{"pii":{"high":"redact"}}}}}""", "policies.p.input.pii.high: 'redact' is only meaningful for pii in output")]
    [InlineData("""{"policies":{"p":{"extends":"nope"}}}""", "policies.p.extends: unknown policy 'nope'")]
    [InlineData("""{"policies":{"a":{"extends":"b"},"b":{"extends":"a"}}}""", "extends: circular")]
    [InlineData("""{"policies":{"p":{"on_classifier_failure":"sometimes"}}}""", "policies.p.on_classifier_failure: expected \"open\" or \"closed\"")]
    [InlineData("""{"policies":{"p":{"colour":"red"}}}""", "policies.p.colour: unknown member")]
    [InlineData("""{"rules":{}}""", "rules: unknown member")]
    [InlineData("""{"policies":""", "not valid JSON")]
    public void An_invalid_document_is_refused_with_a_message_naming_the_setting(string json, string message)
    {
        Assert.False(SafeguardPolicySet.TryParse(json, out _, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => SafeguardPolicySet.Parse(json));
    }

    [Fact]
    public void The_screener_reports_policies_that_name_classifiers_it_does_not_have()
    {
        var set = SafeguardPolicySet.Parse("""{"policies":{"strict":{"extends":"default","classifiers":["pii","llama_guard"]}}}""");

        var problems = Screener.CreateDefault().Validate(set);

        var problem = Assert.Single(problems);
        Assert.Contains("policies.strict.classifiers: 'llama_guard' is not a configured classifier", problem, StringComparison.Ordinal);
    }
}
