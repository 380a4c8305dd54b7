using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Meridian.Gateway.Receipts;
using Meridian.Storage.Sql;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Cli.Tests.Commands;

/// <summary>
/// <c>meridian secrets rotate</c> (issue 22): every cluster secret — the key-hash secret, the receipt-signing key and the
/// geographies' case keys — rotated on two nodes sharing one PostgreSQL store, one node restarted at a time after each
/// step (stage, promote, finish), and at every moment both nodes take each other's keys, open each other's cases and the
/// cluster's fingerprint record lets the restarted node in. A node a whole step behind is refused.
/// </summary>
public sealed partial class SecretsRotationTests : IAsyncDisposable
{
    private const string AdminToken = "mat-rot00001-Fq2Lp8Xz4Rw7Nc3Vb6Hj9Ks5";
    private const string DemoKey = "mk-rot00003-Pw4nK8sLq2Zx6Rv9Tb3Hc7Jd";
    private const string Model = "claude-sonnet-5";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "meridian-rotation-tests", Guid.NewGuid().ToString("N"));
    private readonly string _prefix = "rot" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _server = Environment.GetEnvironmentVariable("MERIDIAN_TEST_POSTGRES")
        ?? throw new InvalidOperationException("MERIDIAN_TEST_POSTGRES is not set; run the tests through ./build.sh test, which starts PostgreSQL.");
    private readonly CliRunner _cli = new(new Dictionary<string, string?>());
    private readonly Dictionary<string, (WebApplication App, HttpClient Http)> _nodes = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _nodes.Keys.ToList())
        {
            await StopAsync(name);
        }

        Npgsql.NpgsqlConnection.ClearAllPools();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Every_secret_rotates_on_two_nodes_one_restart_at_a_time_without_a_refused_key_or_an_unopenable_case()
    {
        var a = Path.Combine(_root, "a");
        var b = Path.Combine(_root, "b");
        var stale = Path.Combine(_root, "stale");
        Assert.Equal(0, (await _cli.RunAsync("secrets", "create", "--out", a)).ExitCode);
        NodeSecretFiles.Write(b, NodeSecretFiles.Read(a));
        NodeSecretFiles.Write(stale, NodeSecretFiles.Read(a));
        await StartAsync("a", a);
        await StartAsync("b", b);
        var oldSigningKey = KeyIdOf("a");

        var before = await CreateKeyAsync("a");
        var caseBefore = await FlagAsync("a", before);
        await AssertClusterServesAsync([before], [caseBefore]);

        // Stage: a new secret of each kind beside the old, accepted by every node, used by none.
        Assert.Equal(0, (await _cli.RunAsync("secrets", "rotate", "stage", "--data", a)).ExitCode);
        Assert.Empty(NodeSecretFiles.Write(b, NodeSecretFiles.Read(a))); // carried to b as import would: only new files
        await RestartAsync("a", a);
        await AssertClusterServesAsync([before], [caseBefore]);
        await RestartAsync("b", b);

        // Promote on each node's folder; a restarted first: it makes new material that b (staged) must accept.
        Assert.Equal(0, (await _cli.RunAsync("secrets", "rotate", "promote", "--data", a)).ExitCode);
        await RestartAsync("a", a);
        Assert.NotEqual(oldSigningKey, KeyIdOf("a"));
        var during = await CreateKeyAsync("a");
        var caseDuring = await FlagAsync("a", during);
        await AssertClusterServesAsync([before, during], [caseBefore, caseDuring]);

        // A node still on the set from before the rotation is a whole step behind the cluster: refused, naming the secrets.
        var behind = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(Options(stale, Path.Combine(_root, "stale-data"))));
        Assert.Contains("key-hash: this node's fp_", behind.Message, StringComparison.Ordinal);
        Assert.Contains("every node takes each step", behind.Message, StringComparison.Ordinal);

        // b's secrets, one step behind a's, are accepted by check too.
        var check = await _cli.RunAsync("secrets", "check", "--data", b, "--store", "postgres", "--postgres", _server, "--postgres-schema", _prefix);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("A rotation is under way", OneLine(check.Out), StringComparison.Ordinal);
        Assert.Equal(0, (await _cli.RunAsync("secrets", "rotate", "promote", "--data", b)).ExitCode);
        await RestartAsync("b", b);

        // Keys made before the rotation move to the new secret on their first use during the overlap.
        await WaitUntilMovedAsync(before);

        // Finish: cases sealed again under the new case keys, the old secrets deleted, the old signing key kept public.
        var finish = await _cli.RunAsync("secrets", "rotate", "finish", "--data", a, "--store", "postgres", "--postgres", _server, "--postgres-schema", _prefix);
        Assert.True(finish.ExitCode == 0, finish.ToString());
        Assert.Matches(@"case-key:\w+: [1-9]\d* case\(s\) sealed again", OneLine(finish.Out));
        Assert.Equal(0, (await _cli.RunAsync("secrets", "rotate", "finish", "--data", b, "--store", "postgres", "--postgres", _server, "--postgres-schema", _prefix)).ExitCode);
        Assert.DoesNotContain(Directory.GetFiles(a), f => f.Contains(".previous.", StringComparison.Ordinal) || f.Contains(".next.", StringComparison.Ordinal));
        await RestartAsync("a", a);
        await AssertClusterServesAsync([before, during], [caseBefore, caseDuring]);
        await RestartAsync("b", b);
        await AssertClusterServesAsync([before, during], [caseBefore, caseDuring]);

        using var keys = JsonDocument.Parse(await _nodes["b"].Http.GetStringAsync("/.well-known/meridian-receipt-key", TestContext.Current.CancellationToken));
        var listed = keys.RootElement.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("key_id").GetString()!, k => k.GetProperty("status").GetString());
        Assert.Equal("retired", listed[oldSigningKey]);
        Assert.Equal("current", listed[KeyIdOf("b")]);

        // Receipts signed under the retired key (their logs' heads) still count as the operator's in the boundary report.
        using var report = await AdminAsync("b", HttpMethod.Get, "admin/v1/tenants/ten_demo/boundary-report", null);
        var reportText = await report.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(report.StatusCode == HttpStatusCode.OK, reportText);
        Assert.Contains("\"bad_signatures\":0", reportText, StringComparison.Ordinal);
        Assert.DoesNotMatch("\"bad_signatures\":[1-9]", reportText);

        // The fixed admin token and the demo key moved with the secret rather than being added again at a start.
        using var tokens = await AdminAsync("b", HttpMethod.Get, "admin/v1/tokens", null);
        Assert.Single(Regex.Matches(await tokens.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), "operator \\(--admin-token\\)"));
        using var demoKeys = await AdminAsync("b", HttpMethod.Get, "admin/v1/resources/res_demo/keys?limit=100", null);
        Assert.Equal(3, Regex.Matches(await demoKeys.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), "\"id\":\"key_").Count);
    }

    [Fact]
    public async Task A_step_out_of_order_is_refused_and_changes_nothing()
    {
        var folder = Path.Combine(_root, "set");
        Assert.Equal(0, (await _cli.RunAsync("secrets", "create", "--out", folder, "--geography", "eu")).ExitCode);
        var set = NodeSecretFiles.Read(folder);

        var promote = await _cli.RunAsync("secrets", "rotate", "promote", "--data", folder);
        Assert.Equal(1, promote.ExitCode);
        Assert.Contains("no staged secret to promote", OneLine(promote.Error), StringComparison.Ordinal);
        var finish = await _cli.RunAsync("secrets", "rotate", "finish", "--data", folder);
        Assert.Equal(1, finish.ExitCode);
        Assert.Contains("nothing to finish", OneLine(finish.Error), StringComparison.Ordinal);
        Assert.Equal(set, NodeSecretFiles.Read(folder));

        Assert.Equal(0, (await _cli.RunAsync("secrets", "rotate", "stage", "--data", folder, "--secret", "key-hash")).ExitCode);
        Assert.True(File.Exists(Path.Combine(folder, "keyhash.next.secret")));
        Assert.False(File.Exists(Path.Combine(folder, "receipt-signing.next.key")));
        var again = await _cli.RunAsync("secrets", "rotate", "stage", "--data", folder, "--secret", "key-hash");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already being rotated", OneLine(again.Error), StringComparison.Ordinal);

        var overridden = await _cli.With((ReceiptSigner.KeyEnvironmentVariable, set["receipt-signing.key"])).RunAsync("secrets", "rotate", "stage", "--data", folder, "--secret", "receipt-signing");
        Assert.Equal(1, overridden.ExitCode);
        Assert.Contains("is taken from MERIDIAN_RECEIPT_SIGNING_KEY", OneLine(overridden.Error), StringComparison.Ordinal);
    }

    private async Task AssertClusterServesAsync(IReadOnlyList<string> keys, IReadOnlyList<string> cases)
    {
        foreach (var node in _nodes.Keys)
        {
            foreach (var key in keys)
            {
                using var response = await SendAsync(node, key, "Hello");
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{node}: key {key[..11]}… answered {(int)response.StatusCode}");
            }

            foreach (var id in cases)
            {
                using var opened = await AdminAsync(node, HttpMethod.Post, $"admin/v1/cases/{id}/open", new { reason = "rotation test" });
                var text = await opened.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                Assert.True(opened.StatusCode == HttpStatusCode.OK, $"{node}: opening {id} answered {(int)opened.StatusCode}: {text}");
                Assert.Contains("politician", text, StringComparison.Ordinal);
            }
        }
    }

    private async Task<string> CreateKeyAsync(string node)
    {
        using var created = await AdminAsync(node, HttpMethod.Post, "admin/v1/resources/res_demo/keys", new { name = "rotation" });
        var text = await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        var key = JsonDocument.Parse(text).RootElement.GetProperty("key").GetString()!;
        // A new key reaches the routing snapshot within the node's refresh interval: each node polls for it.
        foreach (var each in _nodes.Keys)
        {
            for (var attempt = 0; ; attempt++)
            {
                using var response = await SendAsync(each, key, "Hello");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }

                Assert.True(attempt < 100, $"{each}: the new key answered {(int)response.StatusCode}");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        return key;
    }

    /// <summary>A request the built-in classifier flags; returns the id of its case once written.</summary>
    private async Task<string> FlagAsync(string node, string key)
    {
        using var flagged = await SendAsync(node, key, "Someone should shoot that politician.");
        Assert.Equal(HttpStatusCode.OK, flagged.StatusCode);
        var requestId = flagged.Headers.GetValues("request-id").Single();
        for (var attempt = 0; ; attempt++)
        {
            using var list = await AdminAsync(node, HttpMethod.Get, "admin/v1/cases?limit=100", null);
            var text = await list.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (CaseOf(requestId).Match(text) is { Success: true } match)
            {
                return match.Groups[1].Value;
            }

            Assert.True(attempt < 200, $"no case for {requestId}: {text}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits for the key's stored hash to move off the previous secret (the mover works off the request path).</summary>
    private async Task WaitUntilMovedAsync(string key)
    {
        var a = _nodes["a"].App.Services.GetRequiredService<Core.Keys.ApiKeyHasher>();
        var current = a.Hash(key);
        for (var attempt = 0; ; attempt++)
        {
            using (await SendAsync("a", key, "Hello"))
            {
            }

            await using (var connection = new Npgsql.NpgsqlConnection(_server))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var count = new Npgsql.NpgsqlCommand($"SELECT COUNT(*) FROM {_prefix}_control.api_keys WHERE hash = @h", connection);
                count.Parameters.AddWithValue("h", current);
                if (Convert.ToInt64(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 1)
                {
                    return;
                }
            }

            Assert.True(attempt < 100, "the key made before the rotation still has its old hash");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private string KeyIdOf(string node) => _nodes[node].App.Services.GetRequiredService<ReceiptSigner>().KeyId;

    private GatewayOptions Options(string secrets, string data)
    {
        Directory.CreateDirectory(data);
        return new GatewayOptions
        {
            Port = 0,
            DataDirectory = data,
            SecretsDirectory = secrets,
            DemoKey = DemoKey,
            AdminToken = AdminToken,
            Store = StoreEngine.Postgres,
            Postgres = _server,
            PostgresSchemaPrefix = _prefix,
        };
    }

    private async Task StartAsync(string name, string secrets)
    {
        var (app, _) = GatewayHost.Build(Options(secrets, Path.Combine(_root, name + "-data")));
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        _nodes[name] = (app, new HttpClient { BaseAddress = new Uri(address + "/"), Timeout = TimeSpan.FromSeconds(60) });
    }

    private async Task StopAsync(string name)
    {
        var (app, http) = _nodes[name];
        _nodes.Remove(name);
        http.Dispose();
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }

    private async Task RestartAsync(string name, string secrets)
    {
        await StopAsync(name);
        await StartAsync(name, secrets);
    }

    private Task<HttpResponseMessage> SendAsync(string node, string key, string text)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                $$"""{"model":"{{Model}}","max_tokens":64,"messages":[{"role":"user","content":"{{text}}"}]}""", Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("x-api-key", key);
        return _nodes[node].Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private Task<HttpResponseMessage> AdminAsync(string node, HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return _nodes[node].Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static Regex CaseOf(string requestId) => new($"\"id\":\"(case_[^\"]+)\",\"request_id\":\"{Regex.Escape(requestId)}\"");

    private static string OneLine(string text) => Regex.Replace(text, @"\s+", " ");
}
