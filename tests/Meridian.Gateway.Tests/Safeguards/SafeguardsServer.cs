using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Records;
using Meridian.Gateway.Safeguards;
using Meridian.Gateway.Snapshot;
using Meridian.Gateway.Tests.Admin;
using Meridian.Storage.Geography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// A real gateway over a fresh data directory with the demo world, a fixed operator token, and every log line at every
/// level captured (so tests can prove no content reaches a log). It can be stopped and its files scanned.
/// </summary>
/// <param name="configure">Changes to the gateway's options before it is built (a policy file, say).</param>
public sealed class SafeguardsServer(Action<GatewayOptions>? configure = null) : IAsyncLifetime
{
    public const string OperatorToken = AdminServer.OperatorToken;
    public const string DemoKey = AdminServer.DemoKey;
    public const string Model = "claude-sonnet-5";

    private readonly TestDataDirectory _data = new("safeguards-tests");
    private readonly GatewayLog _log = new(LogLevel.Trace);
    private GatewayNode? _node;

    public string DataDirectory => _data.Path;

    /// <summary>Every line the gateway logged, at every level.</summary>
    public IReadOnlyList<string> Log => _log.Lines;

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => (_node ?? throw new InvalidOperationException("stopped")).Services;

    public GeographyStores Stores => Services.GetRequiredService<GeographyStores>();

    public async ValueTask InitializeAsync()
    {
        var options = GatewayNode.Options(DataDirectory, DemoKey);
        options.AdminToken = OperatorToken;
        configure?.Invoke(options);
        _node = await GatewayNode.StartAsync(options, _log, TestContext.Current.CancellationToken);
        Http = _node.Http;
    }

    /// <summary>Stops the gateway, flushing queued receipts and cases; the data directory stays.</summary>
    public async Task StopAsync()
    {
        if (_node is { } node)
        {
            _node = null;
            await node.StopAsync();
            TestStores.ClearPools();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _data.Dispose();
    }

    public async Task<HttpResponseMessage> MessagesAsync(string text, bool stream = false, string key = DemoKey, string model = Model)
    {
        var body = JsonSerializer.Serialize(new
        {
            model,
            max_tokens = 256,
            stream,
            messages = new[] { new { role = "user", content = text } },
        });
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", key);
        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<(HttpResponseMessage Response, string Text)> AdminAsync(HttpMethod method, string path, object? body = null, string? token = OperatorToken)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async Task<JsonElement> AdminJsonAsync(HttpMethod method, string path, object? body = null, string? token = OperatorToken)
    {
        var (response, text) = await AdminAsync(method, path, body, token);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} → {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Waits until the case of <paramref name="requestId"/> is written to some geography store.</summary>
    public async Task<CaseRecord> WaitForCaseAsync(string requestId)
    {
        for (var i = 0; i < 200; i++)
        {
            foreach (var store in Stores.All)
            {
                if (store.Cases.FindByRequest(requestId) is { } found)
                {
                    return found;
                }
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException($"No case was written for request {requestId}.\n{string.Join('\n', Log)}");
    }

    /// <summary>The retention purger of this gateway's stores, log writer and snapshot, on <paramref name="clock"/> and the default options.</summary>
    internal CasePurger Purger(TimeProvider clock) => new(
        Stores, Services.GetRequiredService<RecordWriter>(), Services.GetRequiredService<GatewaySnapshotProvider>(), new SafeguardsOptions(), clock,
        NullLogger<CasePurger>.Instance);

    public static string RequestIdOf(HttpResponseMessage response) => response.Headers.GetValues("request-id").Single();

    /// <summary>Issues an admin token (as the operator) and returns its secret.</summary>
    public async Task<string> TokenAsync(string role, string? tenantId = null, string? publisherId = null, string[]? geographies = null) =>
        (await AdminJsonAsync(HttpMethod.Post, "/admin/v1/tokens",
            new { role, name = $"{role}-{Guid.NewGuid():N}"[..20], tenant_id = tenantId, publisher_id = publisherId, geographies }))
        .GetProperty("token").GetString()!;

    /// <summary>Sends a request the default policy flags (violence, medium) and waits for its case.</summary>
    public async Task<CaseRecord> FlaggedCaseAsync(string extra = "", string key = DemoKey)
    {
        using var response = await MessagesAsync($"Someone should shoot that politician. {extra}", key: key);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await WaitForCaseAsync(RequestIdOf(response));
    }
}
