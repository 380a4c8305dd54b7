using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meridian.Gateway.Tests.Cluster;

/// <summary>
/// The Redis the cluster tests use: the shared one <c>./build.sh test</c> starts (<c>MERIDIAN_TEST_REDIS</c>), with a
/// unique key prefix per test since every test assembly shares it; or a private <c>redis-server</c> a fault test
/// starts, kills and restarts itself.
/// </summary>
internal static class TestRedis
{
    public const string EndpointVariable = "MERIDIAN_TEST_REDIS";

    /// <summary>The shared Redis; fails (never skips) when it is not there.</summary>
    public static string Endpoint =>
        Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EndpointVariable} is not set: the cluster tests need a Redis. Run them through ./build.sh test " +
                "(it starts a private redis-server), or `./build.sh services -- dotnet test ...`, or set " +
                $"{EndpointVariable}=HOST:PORT of a Redis you run.");

    /// <summary>A prefix no other test or test run uses.</summary>
    public static string UniquePrefix() => $"meridian-test:{Guid.NewGuid():N}:";

    public static async Task<bool> PingAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>A <c>redis-server</c> of this test alone, on a free loopback port, without persistence; killed by its PID.</summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    private Process? _process;

    private PrivateRedis(int port)
    {
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<PrivateRedis> StartAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var redis = new PrivateRedis(port);
        await redis.RestartAsync();
        return redis;
    }

    /// <summary>Starts the server (again) on the same port and waits until it answers.</summary>
    public async Task RestartAsync()
    {
        Assert.Null(_process);
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not on PATH; run the tests through ./build.sh test, which installs it.", ex);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!await TestRedis.PingAsync(Port))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"redis-server did not answer on port {Port} within 10 s");
            Assert.False(_process.HasExited, $"redis-server exited with {(_process.HasExited ? _process.ExitCode : 0)}");
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL by PID: the server vanishes as in a crash, with no chance to close connections politely.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
