using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Meridian.Gateway.Tests.Cluster;

/// <summary>
/// A PostgreSQL server of one test's own (Debian's binaries, a throwaway data folder, a free loopback port), so the
/// test can stop and restart it without disturbing the server every other test shares. As root, the server runs as the
/// <c>postgres</c> user, which is how Debian's package installs it.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _root;
    private readonly bool _asPostgresUser = Environment.UserName == "root";

    private PrivatePostgres(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres;Timeout=3";

    private string Data => Path.Combine(_root, "data");

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order().LastOrDefault()
            : null;
        Assert.True(bin is not null, "PostgreSQL server binaries are not installed under /usr/lib/postgresql; run the tests through ./build.sh test.");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var root = Path.Combine(Path.GetTempPath(), "meridian-private-pg", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var server = new PrivatePostgres(bin!, root, port);
        if (server._asPostgresUser && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            await server.RunAsync("chown", "postgres:", root);
        }

        await server.RunPgAsync("initdb", "-D", server.Data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync");
        await File.AppendAllTextAsync(Path.Combine(server.Data, "postgresql.conf"), $"""

            listen_addresses = '127.0.0.1'
            port = {port}
            unix_socket_directories = '{server.Data}'
            fsync = off
            """);
        await server.StartServerAsync();
        return server;
    }

    /// <summary>Stops the server at once (no shutdown checkpoint, as a crash would) and leaves it down.</summary>
    public Task KillAsync() => RunPgAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "-t", "30", "stop");

    public Task StartServerAsync() => RunPgAsync("pg_ctl", "-D", Data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "start");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Xunit.Sdk.XunitException)
        {
            // Already down.
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private Task RunPgAsync(string tool, params string[] arguments) =>
        _asPostgresUser ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments]) : RunAsync(Path.Combine(_bin, tool), arguments);

    private async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
