using System.Net;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Tests.Admin;
using Meridian.Simulator;

namespace Meridian.Gateway.Tests.Backends;

/// <summary>
/// Issue 15, item 2: URLs set through the admin API (publisher endpoints) do not point the gateway at the operator's
/// own network — loopback, private, link-local, metadata, unspecified or multicast addresses — unless the operator
/// allowed that range (<c>--allow-backend-network</c>): refused when set, and refused again at every connection.
/// </summary>
public sealed class EndpointAddressGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://127.0.0.1:8080/")]
    [InlineData("http://localhost/")]
    [InlineData("http://10.1.2.3/v1")]
    [InlineData("http://172.16.0.1/")]
    [InlineData("https://192.168.1.10/")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[fd00:ec2::254]/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://[fe80::1]/")]
    [InlineData("http://[fc00::5]/")]
    [InlineData("http://0.0.0.0/")]
    [InlineData("http://224.0.0.1/")]
    [InlineData("http://[::ffff:127.0.0.1]/")]
    [InlineData("http://2130706433/")]
    public async Task An_internal_address_is_refused_by_default(string url)
    {
        var refusal = await new EndpointAddressGuard(new GatewayOptions()).RefusalAsync(url, Ct);

        Assert.NotNull(refusal);
        Assert.Contains("--allow-backend-network", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://93.184.215.14/v1")]
    [InlineData("https://[2606:4700:4700::1111]/")]
    [InlineData("https://inference.publisher.invalid/v1")]
    public async Task A_public_address_or_a_name_that_does_not_resolve_now_is_accepted(string url)
    {
        Assert.Null(await new EndpointAddressGuard(new GatewayOptions()).RefusalAsync(url, Ct));
    }

    [Fact]
    public async Task An_allowed_range_is_accepted_and_only_that_range()
    {
        var options = new GatewayOptions();
        options.AllowedBackendNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
        var guard = new EndpointAddressGuard(options);

        Assert.Null(await guard.RefusalAsync("http://127.0.0.1:9000/", Ct));
        Assert.Null(await guard.RefusalAsync("http://[::ffff:127.0.0.2]:9000/", Ct));
        Assert.NotNull(await guard.RefusalAsync("http://10.0.0.1/", Ct));
        Assert.NotNull(await guard.RefusalAsync("http://169.254.169.254/", Ct));
    }

    [Fact]
    public async Task A_connection_to_an_internal_address_is_refused_unless_its_range_is_allowed()
    {
        // The check at connection time: what a name resolves to then (DNS rebinding) is what counts.
        await using var upstream = SimulatorServer.Build(new SimulatorServerOptions { Port = 0 });
        await upstream.StartAsync(Ct);
        var models = new Uri(new Uri($"http://localhost:{SimulatorServer.GetBaseAddress(upstream).Port}/"), "v1/models");
        var allowing = new GatewayOptions();
        allowing.AllowedBackendNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
        allowing.AllowedBackendNetworks.Add(IPNetwork.Parse("::1/128"));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(new EndpointAddressGuard(new GatewayOptions()), models));
        using var served = await GetAsync(new EndpointAddressGuard(allowing), models);

        Assert.Equal(HttpRequestError.ConnectionError, refused.HttpRequestError);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Registering_a_publisher_endpoint_on_an_internal_address_is_a_400_naming_the_field()
    {
        await using var server = new AdminServer { Configure = options => options.AllowedBackendNetworks.Clear() };
        await server.InitializeAsync();

        var response = await server.PostAsync("/admin/v1/publishers", new
        {
            name = Marketplace.Unique("Publisher"),
            contact_email = "ops@publisher.example",
            endpoints = new[]
            {
                new { url = "https://inference.publisher.invalid/v1", declared_location = "France" },
                new { url = "http://169.254.169.254/latest/", declared_location = "France" },
            },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("endpoints[1].url", response.Text, StringComparison.Ordinal);
        Assert.Contains("169.254.169.254", response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("endpoints[0].url", response.Text, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> GetAsync(EndpointAddressGuard guard, Uri url)
    {
        using var http = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, ConnectCallback = guard.ConnectAsync });
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("x-api-key", "any");
        return await http.SendAsync(request, Ct);
    }
}
