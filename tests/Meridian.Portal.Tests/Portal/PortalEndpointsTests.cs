using System.Net;
using System.Text.RegularExpressions;
using Meridian.Gateway.Portal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Portal.Tests.Portal;

/// <summary>How the gateway serves the portal over HTTP: caching, the single-page fallback, and a portal not built.</summary>
public sealed partial class PortalEndpointsTests(PortalFixture portal)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Index_is_revalidated_and_locked_down_by_a_content_security_policy()
    {
        using var response = await portal.Http.GetAsync("portal/", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        Assert.NotNull(response.Headers.ETag);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

        using var again = new HttpRequestMessage(HttpMethod.Get, "portal/");
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var notModified = await portal.Http.SendAsync(again, Ct);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task Hashed_assets_are_immutable_for_a_year_and_gzipped_when_asked()
    {
        var html = await portal.Http.GetStringAsync("portal/", Ct);
        var script = ScriptPath().Match(html);
        Assert.True(script.Success, html);
        Assert.DoesNotContain("//", script.Value.Replace("/portal/assets/", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, script.Value.TrimStart('/'));
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await portal.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
    }

    [Theory]
    [InlineData("portal")]
    [InlineData("portal/tenant/keys")]
    [InlineData("portal/operator/world?x=1")]
    public async Task App_routes_get_the_app(string path)
    {
        using var response = await portal.Http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<div id=\"app\"></div>", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_a_404_not_the_app()
    {
        using var response = await portal.Http.GetAsync("portal/assets/index-missing.js", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Without_a_built_portal_the_answer_says_why()
    {
        var empty = Directory.CreateTempSubdirectory("meridian-portal-empty");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        PortalEndpoints.Map(app, empty.FullName, NullLogger.Instance);
        await app.StartAsync(Ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address + "/") };

        using var response = await http.GetAsync("portal/", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not built", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        await app.StopAsync(Ct);
        empty.Delete();
    }

    [GeneratedRegex("/portal/assets/[A-Za-z0-9_-]+\\.js")]
    private static partial Regex ScriptPath();
}
