namespace Meridian.Simulator;

/// <summary>Where the standalone simulator listens and how it answers.</summary>
public sealed class SimulatorServerOptions
{
    /// <summary>The TCP port; 0 lets the system pick a free one (read it back with <see cref="SimulatorServer.GetBaseAddress"/>).</summary>
    public int Port { get; set; }

    /// <summary>Loopback by default: the simulator accepts any API key, so it must not be reachable from elsewhere by accident.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The one model listed by <c>GET /v1/models</c>. <c>POST /v1/messages</c> answers for any model name.</summary>
    public string ModelId { get; set; } = SimulatorServer.DefaultModelId;

    public SimulatorOptions Simulator { get; set; } = new();

    /// <summary>The clock for the latency delays; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
