namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// <c>Safeguards.StreamMinReleaseChars</c> (<c>meridian serve --stream-min-release-chars</c>): output screening waits
/// for that many new chars before it rescans and releases, so the client gets the same text in fewer, larger deltas.
/// </summary>
public sealed class StreamReleaseStepTests : IAsyncLifetime
{
    private const int Step = 64;
    private const string Prompt = "Tell me a long story about lighthouses and the keepers who tended them.";

    private readonly SafeguardsServer _everyDelta = new();
    private readonly SafeguardsServer _stepped = new(options => options.Safeguards.StreamMinReleaseChars = Step);

    public async ValueTask InitializeAsync()
    {
        await _everyDelta.InitializeAsync();
        await _stepped.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _everyDelta.DisposeAsync();
        await _stepped.DisposeAsync();
    }

    [Fact]
    public async Task A_release_step_sends_the_same_text_in_deltas_of_at_least_that_many_chars()
    {
        var everyDelta = await TextDeltasAsync(_everyDelta);
        var stepped = await TextDeltasAsync(_stepped);

        Assert.Equal(string.Concat(everyDelta), string.Concat(stepped));
        Assert.True(string.Concat(stepped).Length > 4 * Step, "the answer must be long enough to need several steps");
        // Without a step, text goes out as it clears the window: mostly the upstream's own small deltas.
        Assert.Contains(everyDelta, d => d.Length < Step);
        // With one, every delta but the block's last carries at least a step's worth of text.
        Assert.All(stepped[..^1], d => Assert.True(d.Length >= Step, $"a {d.Length}-char delta: '{d}'"));
        Assert.True(stepped.Count < everyDelta.Count, $"{stepped.Count} deltas stepped, {everyDelta.Count} without");
    }

    private static async Task<List<string>> TextDeltasAsync(SafeguardsServer server)
    {
        using var response = await server.MessagesAsync(Prompt, stream: true);
        response.EnsureSuccessStatusCode();
        var events = SseText.Events(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return [.. events
            .Where(e => e.Name == "content_block_delta" && e.Data.GetProperty("delta").GetProperty("type").GetString() == "text_delta")
            .Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()!)];
    }
}
