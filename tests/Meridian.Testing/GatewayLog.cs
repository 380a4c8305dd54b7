using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Meridian.Testing;

/// <summary>
/// What gateways logged at <paramref name="minimumLevel"/> or above, collected by a <see cref="FakeLogCollector"/>; one
/// log may serve several nodes. Lines read <c>Level Category: message exception</c>, for assertions and their messages.
/// </summary>
public sealed class GatewayLog(LogLevel minimumLevel = LogLevel.Warning)
{
    public FakeLogCollector Collector { get; } = new();

    public IReadOnlyList<string> Lines => [.. Collector.GetSnapshot().Select(r => $"{r.Level} {r.Category}: {r.Message} {r.Exception}")];

    public string Text => string.Join(Environment.NewLine, Lines);

    /// <summary>Sends a gateway's logging here, and nowhere else.</summary>
    public void AddTo(ILoggingBuilder logging) => logging.AddProvider(new FakeLoggerProvider(Collector)).SetMinimumLevel(minimumLevel);
}
