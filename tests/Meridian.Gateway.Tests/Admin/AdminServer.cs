using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>
/// A real gateway (Kestrel on a free loopback port) over a fresh data directory of real SQLite files, with the demo
/// world seeded and a fixed operator-admin token. More nodes can be started on the same data directory, as a
/// multi-node deployment would run them.
/// </summary>
public sealed class AdminServer : IAsyncLifetime
{
    public const string OperatorToken = "mat-0a1b2c3d-OperatorTokenForAdminTests0000";
    public const string DemoKey = "mk-ad000001-Zq7vR2pLx9TcW4nB8sKd3fHy";

    /// <summary>
    /// Where the main node takes requests in: the region <see cref="Marketplace.ResourceAsync"/> puts resources in, since
    /// ingress is part of a DataZone or Regional deployment's boundary. Tests of other boundaries start a node there.
    /// </summary>
    public const string DefaultIngressRegion = "swedencentral";

    private readonly List<Node> _nodes = [];
    private readonly TestDataDirectory _data = new("admin-tests");
    private readonly GatewayLog _log = new();

    public string DataDirectory => _data.Path;

    public Node Main => _nodes[0];

    public HttpClient Http => Main.Http;

    public IReadOnlyList<string> Log => _log.Lines;

    /// <summary>Applied to the options of every node this server starts (a cluster's Redis, say).</summary>
    public Action<GatewayOptions>? Configure { get; init; }

    public string LogText => _log.Text;

    public async ValueTask InitializeAsync() => await StartNodeAsync();

    /// <summary>Starts one more gateway node on the same data directory (same control store, same key-hashing secret).</summary>
    public async Task<Node> StartNodeAsync(string? adminToken = OperatorToken, string ingressRegion = DefaultIngressRegion)
    {
        var options = GatewayNode.Options(DataDirectory, DemoKey);
        options.AdminToken = adminToken;
        options.IngressRegion = ingressRegion;

        // Tests stand publishers' endpoints up on loopback; a real operator would have to allow that range explicitly.
        options.AllowedBackendNetworks.Add(System.Net.IPNetwork.Parse("127.0.0.0/8"));
        Configure?.Invoke(options);
        var node = new Node(await GatewayNode.StartAsync(options, _log, TestContext.Current.CancellationToken));
        _nodes.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _data.Dispose();
    }

    /// <inheritdoc cref="Node.SendAsync"/>
    public Task<AdminResponse> SendAsync(HttpMethod method, string path, string? token = OperatorToken, object? body = null, Action<HttpRequestHeaders>? headers = null) =>
        Main.SendAsync(method, path, token, body, headers);

    public Task<AdminResponse> GetAsync(string path, string? token = OperatorToken) => Main.SendAsync(HttpMethod.Get, path, token, null, null);

    public Task<AdminResponse> PostAsync(string path, object? body, string? token = OperatorToken) => Main.SendAsync(HttpMethod.Post, path, token, body, null);

    /// <summary>POSTs and asserts a 2xx; returns the JSON answer.</summary>
    public async Task<JsonElement> CreateAsync(string path, object? body, string? token = OperatorToken)
    {
        var response = await PostAsync(path, body, token);
        Assert.True(response.IsSuccess, $"POST {path} → {(int)response.Status}: {response.Text}\n{LogText}");
        return response.Json;
    }

    /// <summary>A POST to <c>/v1/messages</c> with an API key.</summary>
    public Task<HttpResponseMessage> MessagesAsync(string key, string model, Node? node = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                $$"""{"model":"{{model}}","max_tokens":32,"messages":[{"role":"user","content":"Hello from the admin tests"}]}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        return (node ?? Main).Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>One gateway process-in-a-process.</summary>
    public sealed class Node(GatewayNode node) : IAsyncDisposable
    {
        public WebApplication App => node.App;

        public DemoReport Demo => node.Demo;

        public HttpClient Http => node.Http;

        /// <summary>
        /// Sends an admin request. <paramref name="body"/> is serialised as JSON, or sent verbatim when it is a
        /// <see cref="RawJson"/>. <paramref name="token"/> goes in <c>Authorization: Bearer</c> (null: no header).
        /// </summary>
        public async Task<AdminResponse> SendAsync(HttpMethod method, string path, string? token, object? body, Action<HttpRequestHeaders>? headers)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (body is not null)
            {
                var json = body is RawJson raw ? raw.Text : JsonSerializer.Serialize(body);
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            headers?.Invoke(request.Headers);
            using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            var parsed = default(JsonElement);
            if (text.Length > 0)
            {
                using var document = JsonDocument.Parse(text);
                parsed = document.RootElement.Clone();
            }

            return new AdminResponse(response.StatusCode, parsed, text, response.Headers.ETag?.Tag, response.Content.Headers.ContentType?.MediaType);
        }

        public ValueTask DisposeAsync() => node.DisposeAsync();
    }
}

/// <summary>A request body sent exactly as written (malformed JSON, duplicate keys…).</summary>
public sealed record RawJson(string Text);

/// <summary>An admin API answer.</summary>
public sealed record AdminResponse(HttpStatusCode Status, JsonElement Json, string Text, string? ETag, string? MediaType)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    public string Id => Json.GetProperty("id").GetString()!;

    /// <summary>Asserts an RFC 9457 problem with this status and code, naming <paramref name="field"/> in <c>errors</c> when given.</summary>
    public AdminResponse AssertProblem(HttpStatusCode status, string code, string? field = null)
    {
        Assert.True(status == Status, $"expected {(int)status} {code}, got {(int)Status}: {Text}");
        Assert.Equal("application/problem+json", MediaType);
        Assert.Equal("https://meridian.dev/problems/" + code, Json.GetProperty("type").GetString());
        Assert.Equal((int)status, Json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(Json.GetProperty("detail").GetString()));
        if (field is not null)
        {
            Assert.True(Json.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"expected errors to name '{field}': {Text}");
        }

        return this;
    }
}
