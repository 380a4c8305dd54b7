namespace Meridian.Simulator.Answers;

/// <summary>
/// The whole answer, decided before the first event is sent: an optional text block, an optional tool call after
/// it, and how the message ends. <see cref="OutputTokens"/> counts the text plus the tool input JSON.
/// </summary>
internal sealed record SimulatedAnswer(
    string? Text,
    SimulatedToolCall? ToolCall,
    string StopReason,
    string? StopSequence,
    int OutputTokens);

internal sealed record SimulatedToolCall(string Id, string Name, string InputJson);
