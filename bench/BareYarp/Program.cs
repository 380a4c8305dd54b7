using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

// A bare YARP reverse proxy for the load harness: every request goes to one upstream, with YARP's defaults and no
// policy of any kind (no auth, no parsing, no logging). It is the baseline that Meridian's data plane is held to.
//   dotnet BareYarp.dll --port 8081 --upstream http://127.0.0.1:9090
var port = int.Parse(Arg("--port") ?? "8081", System.Globalization.CultureInfo.InvariantCulture);
var upstream = Arg("--upstream") ?? "http://127.0.0.1:9090";

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(IPAddress.Loopback, port);
});
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig
    {
        ClusterId = "upstream",
        Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = upstream } },
    }]);

var app = builder.Build();
app.MapReverseProxy();
app.Run();

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
