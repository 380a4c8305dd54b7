using System.Text.Json;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Safeguards.Policies;
using Meridian.Testing;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests;

/// <summary>
/// Issue 15: no text makes screening superlinear. Each corpus entry is screened as a tool result (every built-in
/// classifier and every pass runs on it) and measured by what the classifiers charge the request's
/// <see cref="WorkBudget"/> — chars handed to a regex or read by a scanner — which does not depend on the machine.
/// </summary>
public sealed class AdversarialScreeningTests
{
    private readonly Screener _screener = Screener.CreateDefault();

    /// <summary>The corpus, plus the units the lexicon's own repetitions and optional parts are built from.</summary>
    public static TheoryData<string> Entries() =>
    [
        .. AdversarialCorpus.Entries.Select(e => e.Name),
        .. LexiconUnits.Keys,
    ];

    private static readonly Dictionary<string, string> LexiconUnits = new()
    {
        ["ignore_previous_previous"] = "ignore the previous previous ",
        ["the_the"] = "the the the ",
        ["i_will_i_will"] = "i will i will ",
        ["kill_kill_the"] = "kill kill the ",
        ["single_letters"] = "a b c d e f ",
        ["note_then_spaces"] = "note                                                                                      ",
    };

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task Screening_work_doubles_when_the_input_doubles(string entry)
    {
        var single = await ScreeningWork(Make(entry, 32_000));
        var twice = await ScreeningWork(Make(entry, 64_000));

        Assert.InRange((double)twice / single, 1.8, 2.2);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task Screening_work_per_MB_is_within_three_times_that_of_prose(string entry)
    {
        var prose = Make(AdversarialCorpus.ProseName, 64_000);
        var text = Make(entry, 64_000);

        var prosePerByte = (double)await ScreeningWork(prose) / AdversarialCorpus.Utf8Bytes(prose);
        var perByte = (double)await ScreeningWork(text) / AdversarialCorpus.Utf8Bytes(text);

        Assert.True(perByte <= 3 * prosePerByte, $"{entry}: {perByte:F1} units per byte, prose {prosePerByte:F1}");
    }

    [Fact]
    public async Task Screening_past_the_budget_refuses_rather_than_screening_less()
    {
        using var request = ToolResultRequest(Make("threats", 20_000));
        var needed = await ScreeningWork(Make("threats", 20_000));

        await Assert.ThrowsAsync<WorkBudgetExceededException>(
            async () => await _screener.ScreenInputAsync(request, SafeguardPolicy.Default, new WorkBudget(needed / 2), Ct));
    }

    [Fact]
    public async Task Screening_stops_when_the_request_is_cancelled()
    {
        using var request = ToolResultRequest(Make("prose", 20_000));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await _screener.ScreenInputAsync(request, SafeguardPolicy.Default, WorkBudget.Unlimited(cancelled.Token), cancelled.Token));
    }

    private static string Make(string entry, int length) =>
        LexiconUnits.TryGetValue(entry, out var unit)
            ? string.Concat(Enumerable.Repeat(unit, (length / unit.Length) + 1))[..length]
            : AdversarialCorpus.Entries.Single(e => e.Name == entry).Make(length);

    private async Task<long> ScreeningWork(string text)
    {
        using var request = ToolResultRequest(text);
        var meter = WorkBudget.Unlimited();
        await _screener.ScreenInputAsync(request, SafeguardPolicy.Default, meter, Ct);
        return meter.Spent;
    }

    private static MessagesRequest ToolResultRequest(string text) => Request($$$"""
        {"model":"m","max_tokens":10,"messages":[
          {"role":"user","content":"Summarise this page"},
          {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"fetch","input":{"url":"https://news.example"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":{{{JsonSerializer.Serialize(text)}}}}]}]}
        ]}
        """);
}
