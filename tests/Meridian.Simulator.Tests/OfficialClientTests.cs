using Anthropic;
using Anthropic.Models.Messages;

namespace Meridian.Simulator.Tests;

/// <summary>The official .NET client (the one PROTOCOL.md recorded) talks to the simulator server as to Anthropic.</summary>
public sealed class OfficialClientTests(SimulatorServerFixture server) : IClassFixture<SimulatorServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Official_client_creates_a_message()
    {
        var client = Client();

        var message = await client.Messages.Create(
            new MessageCreateParams
            {
                MaxTokens = 256,
                Messages = [new UserMessageParam("Hello from the official client")],
                Model = Sim.Model,
            },
            Ct);

        message.Validate();
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Contains("Hello from the official client", text.Text, StringComparison.Ordinal);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.True(message.Usage.OutputTokens > 0);
    }

    [Fact]
    public async Task Official_client_streams_a_message()
    {
        var client = Client();
        var text = new System.Text.StringBuilder();
        var sawStop = false;

        await foreach (var streamEvent in client.Messages.CreateStreaming(
            new MessageCreateParams
            {
                MaxTokens = 256,
                Messages = [new UserMessageParam("Stream to the official client")],
                Model = Sim.Model,
            },
            Ct))
        {
            streamEvent.Validate();
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
            {
                text.Append(piece.Text);
            }

            sawStop |= streamEvent.TryPickStop(out _);
        }

        Assert.True(sawStop);
        Assert.Contains("Stream to the official client", text.ToString(), StringComparison.Ordinal);
    }

    private AnthropicClient Client() => new()
    {
        ApiKey = "sk-simulator-test",
        BaseUrl = server.BaseAddress.ToString().TrimEnd('/'),
        MaxRetries = 0,
    };
}
