using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Meridian.Gateway.Tests;

/// <summary><c>dotnet meridian.dll serve</c> as a child process, built in the same configuration as this test assembly.</summary>
internal sealed class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private GatewayProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>Everything the process wrote to stdout and stderr (its last 200 lines).</summary>
    public string Output => string.Join('\n', _output);

    public int ExitCode => _process.ExitCode;

    public static Task<GatewayProcess> StartAsync(string data, string demoKey, CancellationToken cancellationToken) =>
        StartAsync(data, demoKey, tokenDelayMs: 1, [], cancellationToken);

    public static async Task<GatewayProcess> StartAsync(string data, string demoKey, int tokenDelayMs, string[] extraArguments, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            CliDll(), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", data,
            "--demo-key", demoKey, "--simulator-token-delay-ms", tokenDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. TestStores.ServeArguments(data), .. extraArguments,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var gateway = new GatewayProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}/"));
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (gateway._process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await http.GetAsync("healthz", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return gateway;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Not answering yet.
            }

            await Task.Delay(100, cancellationToken);
        }

        var output = string.Join('\n', gateway._output);
        gateway.Dispose();
        throw new Xunit.Sdk.XunitException($"meridian serve did not become healthy on port {port}:\n{output}");
    }

    /// <summary>SIGTERM, as an orchestrator's rolling restart sends it: the node drains, flushes and exits.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to exit by itself; false when it has not within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL: no shutdown, no flush, no finally blocks.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200)
        {
            _output.TryDequeue(out _);
        }
    }

    /// <summary>artifacts/bin/Meridian.Cli/&lt;config&gt;/meridian.dll, for the configuration this test assembly was built in.</summary>
    private static string CliDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Meridian.slnx")))
        {
            root = root.Parent;
        }

        var dll = root is null ? null : Path.Combine(root.FullName, "artifacts", "bin", "Meridian.Cli", configuration, "meridian.dll");
        return dll is not null && File.Exists(dll)
            ? dll
            : throw new Xunit.Sdk.XunitException($"meridian.dll ({configuration}) not found at {dll}: build src/Meridian.Cli in the same configuration as the tests.");
    }

    /// <summary>A loopback port nothing listens on right now (the OS's choice), for a child process to bind.</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
