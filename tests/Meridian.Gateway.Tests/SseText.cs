using System.Text.Json;

namespace Meridian.Gateway.Tests;

/// <summary>One server-sent event of an Anthropic stream: its name and its JSON data.</summary>
internal sealed record SseEvent(string Name, JsonElement Data);

/// <summary>A whole streamed answer, read back as its events: every frame an <c>event:</c> line, then a <c>data:</c> line.</summary>
internal static class SseText
{
    public static List<SseEvent> Events(string text)
    {
        var events = new List<SseEvent>();
        foreach (var frame in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = frame.Split('\n');
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            using var data = JsonDocument.Parse(lines[1]["data: ".Length..]);
            events.Add(new SseEvent(lines[0]["event: ".Length..], data.RootElement.Clone()));
        }

        return events;
    }
}
