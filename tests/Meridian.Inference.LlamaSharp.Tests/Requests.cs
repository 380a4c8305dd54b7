using System.Text;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Inference.LlamaSharp.Tests;

/// <summary>Builds validated requests and runs them through a backend.</summary>
internal static class Requests
{
    public static MessagesRequest Parse(string json)
    {
        Assert.True(MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes(json), isCountTokens: false, out var request, out var error), error?.Message);
        return request;
    }

    public static OwnedCall Call(string json) => new(new BackendCall(Parse(json), "tiny-llama", "msg_test"));

    public static OwnedCall Simple(int maxTokens, string extra = "") =>
        Call($$"""{"model":"tiny","max_tokens":{{maxTokens}}{{extra}},"messages":[{"role":"user","content":"Hello there, tiny model!"}]}""");

    public static async Task<(List<StreamEvent> Events, MessageAggregate Message)> RunAsync(IInferenceBackend backend, BackendCall call, CancellationToken cancellationToken = default)
    {
        var events = new List<StreamEvent>();
        var message = new MessageAggregate();
        await foreach (var streamEvent in backend.StreamAsync(call, cancellationToken))
        {
            events.Add(streamEvent);
            message.Apply(streamEvent);
        }

        return (events, message);
    }

    public static string Text(this MessageAggregate message) =>
        string.Concat(message.Blocks.OfType<AggregatedTextBlock>().Select(b => b.Text));
}

/// <summary>A call whose parsed request (pooled JSON) is returned when the test is done with it.</summary>
internal sealed class OwnedCall(BackendCall call) : IDisposable
{
    public BackendCall Value { get; } = call;

    public void Dispose() => Value.Request.Dispose();
}
