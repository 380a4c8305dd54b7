using Meridian.Protocol.Streaming;

namespace Meridian.Inference.LlamaSharp.Tests;

/// <summary>A model whose end token always wins: the turn ends by itself, before max_tokens.</summary>
public sealed class EndOfTurnTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-llamasharp-tests", Guid.NewGuid().ToString("N"));

    public EndOfTurnTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_end_token_ends_the_turn_with_end_turn()
    {
        var path = Path.Combine(_directory, "ends.gguf");
        TinyGguf.Write(path, seed: 5, endsAtOnce: true);
        using var backend = new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path });
        using var call = Requests.Simple(50);

        var (events, message) = await Requests.RunAsync(backend, call.Value, TestContext.Current.CancellationToken);

        Assert.Equal(StopReasons.EndTurn, message.StopReason);
        Assert.Null(message.StopSequence);
        Assert.Equal(1, message.Usage.OutputTokens);
        Assert.Equal(string.Empty, message.Text());
        Assert.Collection(
            events,
            e => Assert.IsType<MessageStartEvent>(e),
            e => Assert.IsType<ContentBlockStartEvent>(e),
            e => Assert.IsType<ContentBlockStopEvent>(e),
            e => Assert.IsType<MessageDeltaEvent>(e),
            e => Assert.IsType<MessageStopEvent>(e));
    }
}
