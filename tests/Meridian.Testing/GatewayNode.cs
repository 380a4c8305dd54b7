using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Testing;

/// <summary>
/// One gateway node in process: Kestrel on a free loopback port, on this run's store engine (<see cref="TestStores"/>),
/// with a client for its root. Several nodes may share a data folder, as a multi-node deployment runs them; the folder
/// is the caller's (see <see cref="TestDataDirectory"/>).
/// </summary>
public sealed class GatewayNode : IAsyncDisposable
{
    private bool _stopped;

    private GatewayNode(WebApplication app, DemoReport demo, Uri baseAddress)
    {
        App = app;
        Demo = demo;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public DemoReport Demo { get; }

    /// <summary>The node's root, e.g. <c>http://127.0.0.1:41234/</c> (always with a trailing slash).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The root without the trailing slash, the form SDKs and the CLI take as their base URL.</summary>
    public string BaseUrl => BaseAddress.GetLeftPart(UriPartial.Authority);

    /// <summary>A client for the node's root; no credentials attached.</summary>
    public HttpClient Http { get; }

    /// <summary>The options tests start from: port 0, <paramref name="demoKey"/> seeded, ingress in eastus.</summary>
    public static GatewayOptions Options(string dataDirectory, string? demoKey) =>
        new() { Port = 0, DataDirectory = dataDirectory, DemoKey = demoKey, IngressRegion = "eastus" };

    /// <summary>
    /// Builds and starts a node from <paramref name="options"/>, put on this run's store engine; its logging goes to
    /// <paramref name="log"/>, or nowhere when none is given.
    /// </summary>
    public static async Task<GatewayNode> StartAsync(GatewayOptions options, GatewayLog? log = null, CancellationToken cancellationToken = default)
    {
        var (app, demo) = GatewayHost.Build(options.OnTestStore(), logging =>
        {
            if (log is not null)
            {
                log.AddTo(logging);
            }
        });
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayNode(app, demo, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>Stops the node (draining it and flushing queued records) and disposes it; the data folder stays.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            Http.Dispose();
            await App.StopAsync(CancellationToken.None);
            await App.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
