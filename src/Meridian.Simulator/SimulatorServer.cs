using System.Net;
using Meridian.Protocol.Messages;
using Meridian.Simulator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meridian.Simulator;

/// <summary>
/// The simulator as a standalone Anthropic-compatible HTTP upstream (<c>meridian simulate --port N</c>, and tests):
/// <c>POST /v1/messages</c> (JSON or SSE), <c>POST /v1/messages/count_tokens</c>, <c>GET /v1/models</c>,
/// <c>GET /v1/models/{id}</c>, and the same under <c>/anthropic/v1</c> as Foundry clients call them.
/// It accepts any API key but requires one (<c>x-api-key</c> or <c>Authorization: Bearer</c>).
/// </summary>
public static class SimulatorServer
{
    public const string DefaultModelId = "meridian-simulator";

    /// <summary>Builds (does not start) a web application that serves the simulator on the configured address.</summary>
    public static WebApplication Build(SimulatorServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.BindAddress, out var address))
        {
            throw new ArgumentException($"BindAddress '{options.BindAddress}' is not an IP address.", nameof(options));
        }

        if (options.Port is < 0 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Port must be between 0 and 65535.");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Nothing is read from configuration files, so nothing is watched (a reload watches the content root recursively).
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ApplicationName = typeof(SimulatorServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MessagesRequestParser.MaxBodyBytes;
            kestrel.Listen(address, options.Port);
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        var app = builder.Build();
        var backend = new SimulatorBackend(options.Simulator, options.TimeProvider);
        app.MapSimulator(backend, options.ModelId);
        return app;
    }

    /// <summary>
    /// Maps the simulator's routes onto an existing application (for hosting it in-process beside other endpoints).
    /// Authentication and the <c>request-id</c> header are handled by the routes themselves.
    /// </summary>
    public static IEndpointRouteBuilder MapSimulator(this IEndpointRouteBuilder endpoints, SimulatorBackend backend, string modelId = DefaultModelId)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrEmpty(modelId);

        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SimulatorServer).FullName!);
        var handlers = new SimulatorEndpoints(backend, modelId, logger);
        foreach (var prefix in (ReadOnlySpan<string>)["/v1", "/anthropic/v1"])
        {
            var group = endpoints.MapGroup(prefix);
            group.MapPost("/messages", context => handlers.CreateMessageAsync(context));
            group.MapPost("/messages/count_tokens", context => handlers.CountTokensAsync(context));
            group.MapGet("/models", context => handlers.ListModelsAsync(context));
            group.MapGet("/models/{modelId}", context => handlers.GetModelAsync(context));
        }

        endpoints.MapFallback(context => handlers.NotFoundAsync(context));
        return endpoints;
    }

    /// <summary>The address a started server actually listens on (with the real port when 0 was asked for).</summary>
    public static Uri GetBaseAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault()
            ?? throw new InvalidOperationException("The simulator server has no address yet; start it first.");
        return new Uri(first);
    }
}
