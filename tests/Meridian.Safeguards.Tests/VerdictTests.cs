using Meridian.Protocol.Errors;

namespace Meridian.Safeguards.Tests;

public sealed class VerdictTests
{
    private static Verdict Build(Action<VerdictBuilder> fill, string policy = "default")
    {
        var builder = new VerdictBuilder();
        fill(builder);
        return builder.Build(policy);
    }

    [Fact]
    public void Nothing_found_is_plain_allow()
    {
        var verdict = Build(b => b.AddClassifier("pii"));

        Assert.Equal("allow", verdict.Compact);
        Assert.Equal(["pii"], verdict.Classifiers);
        Assert.False(verdict.RequiresReview);
        Assert.Null(verdict.Reason);
    }

    [Fact]
    public void Compact_form_lists_the_strongest_action_and_each_category_at_its_highest_severity()
    {
        var verdict = Build(b =>
        {
            b.AddFinding(new Finding(SafetyCategory.Pii, PiiKinds.Email, Severity.Low, 0, 5), SafeguardAction.Annotate);
            b.AddFinding(new Finding(SafetyCategory.Violence, HarmKinds.Mention, Severity.Low, 9, 4), SafeguardAction.Annotate);
            b.AddFinding(new Finding(SafetyCategory.Violence, HarmKinds.Threat, Severity.Medium, 20, 9), SafeguardAction.Flag);
        });

        Assert.Equal("flag:violence=medium;pii=low", verdict.Compact);
        Assert.Equal("flag:violence=medium;pii=low", verdict.ToString());
        Assert.Equal(Severity.Medium, verdict.SeverityOf(SafetyCategory.Violence));
        Assert.Equal(Severity.Safe, verdict.SeverityOf(SafetyCategory.Hate));
        Assert.Equal(["pii:email", "violence:mention", "violence:threat"], verdict.Kinds);
        Assert.True(verdict.RequiresReview);
    }

    [Fact]
    public void A_block_carries_a_reason_that_names_categories_and_never_text()
    {
        var verdict = Build(b => b.AddFinding(new Finding(SafetyCategory.PromptInjection, InjectionKinds.IgnoreInstructions, Severity.High, 0, 30), SafeguardAction.Block), "strict");

        Assert.True(verdict.IsBlocked);
        Assert.Equal("prompt_injection (high)", verdict.Reason);
        var error = SafeguardErrors.InputBlocked(verdict);
        Assert.Equal(400, error.Status);
        Assert.Equal(ErrorTypes.InvalidRequest, error.Type);
        Assert.Equal("Request blocked by content filtering policy 'strict': prompt_injection (high).", error.Message);
        Assert.Equal("Output blocked by content filtering policy 'strict': prompt_injection (high).", SafeguardErrors.OutputBlocked(verdict).Message);
    }

    [Fact]
    public void An_unavailable_classifier_annotates_when_failing_open_and_blocks_with_its_name_when_failing_closed()
    {
        var open = Build(b => b.AddUnavailable("llama_guard", "timeout", failClosed: false));
        var closed = Build(b => b.AddUnavailable("llama_guard", "timeout", failClosed: true));

        Assert.Equal("annotate:unavailable=llama_guard", open.Compact);
        Assert.Null(open.Reason);
        Assert.Equal("block:unavailable=llama_guard", closed.Compact);
        Assert.Equal("classifier 'llama_guard' was unavailable (timeout) and the policy fails closed", closed.Reason);
    }

    [Fact]
    public void Merge_combines_input_and_output_for_one_receipt()
    {
        var input = Build(b => b.AddFinding(new Finding(SafetyCategory.Pii, PiiKinds.Email, Severity.Low, 0, 1), SafeguardAction.Allow));
        var output = Build(b => b.AddFinding(new Finding(SafetyCategory.Pii, PiiKinds.PaymentCard, Severity.High, 0, 1), SafeguardAction.Redact));

        var merged = input.Merge(output);

        Assert.Equal("redact:pii=high", merged.Compact);
        Assert.Equal(["pii:email", "pii:payment_card"], merged.Kinds);
    }
}
