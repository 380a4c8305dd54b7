using System.Text;

namespace Meridian.Protocol.Streaming;

/// <summary>
/// Folds a stream of events into the one Message a non-streaming client receives. Not thread-safe: one per request.
/// </summary>
public sealed class MessageAggregate
{
    private readonly List<AggregatedBlock> _blocks = [];

    public string MessageId { get; private set; } = string.Empty;

    public string Model { get; private set; } = string.Empty;

    public IReadOnlyList<AggregatedBlock> Blocks => _blocks;

    public string? StopReason { get; private set; }

    public string? StopSequence { get; private set; }

    public Usage Usage { get; private set; }

    public ErrorEvent? Error { get; private set; }

    public bool IsComplete { get; private set; }

    public void Apply(StreamEvent streamEvent)
    {
        switch (streamEvent)
        {
            case MessageStartEvent start:
                MessageId = start.MessageId;
                Model = start.Model;
                Usage = start.Usage;
                break;
            case ContentBlockStartEvent { Block: TextBlockHeader }:
                _blocks.Add(new AggregatedTextBlock());
                break;
            case ContentBlockStartEvent { Block: ToolUseBlockHeader tool }:
                _blocks.Add(new AggregatedToolUseBlock(tool.Id, tool.Name));
                break;
            case TextDeltaEvent text when _blocks.Count > 0 && _blocks[^1] is AggregatedTextBlock block:
                block.Builder.Append(text.Text);
                break;
            case InputJsonDeltaEvent json when _blocks.Count > 0 && _blocks[^1] is AggregatedToolUseBlock tool:
                tool.Builder.Append(json.PartialJson);
                break;
            case MessageDeltaEvent delta:
                StopReason = delta.StopReason;
                StopSequence = delta.StopSequence;
                Usage = Usage.MergeDelta(delta.Usage);
                break;
            case MessageStopEvent:
                IsComplete = true;
                break;
            case ErrorEvent error:
                Error = error;
                break;
            default:
                break;
        }
    }
}

public abstract class AggregatedBlock
{
    internal StringBuilder Builder { get; } = new();
}

public sealed class AggregatedTextBlock : AggregatedBlock
{
    public string Text => Builder.ToString();
}

public sealed class AggregatedToolUseBlock(string id, string name) : AggregatedBlock
{
    public string Id { get; } = id;

    public string Name { get; } = name;

    public string InputJson => Builder.ToString();
}
