using Meridian.Cli.Commands;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Meridian.Gateway.Receipts;
using Meridian.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Cli.Tests.Commands;

/// <summary>
/// <c>meridian secrets</c> and <c>serve --secrets-dir</c>: a cluster's secrets made once, carried sealed, read from a
/// mounted folder that a node never writes to, and checked against what the shared store recorded.
/// </summary>
public sealed class SecretsCommandTests : IDisposable
{
    private const string Passphrase = "correct horse battery staple";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "meridian-secrets-tests", Guid.NewGuid().ToString("N"));
    private readonly CliRunner _cli = new(new Dictionary<string, string?> { [SecretsCommand.PassphraseVariable] = Passphrase });

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_created_set_is_owner_only_and_never_written_over()
    {
        var folder = Path.Combine(_root, "set");
        var created = await _cli.RunAsync("secrets", "create", "--out", folder);
        Assert.Equal(0, created.ExitCode);
        var files = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["keyhash.secret", "receipt-signing.key", "ts-key-eu.secret", "ts-key-us.secret"], files);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.All(Directory.GetFiles(folder), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        var before = NodeSecretFiles.Read(folder);

        var again = await _cli.RunAsync("secrets", "create", "--out", folder);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("never written over", OneLine(again.Error), StringComparison.Ordinal);
        Assert.Equal(before, NodeSecretFiles.Read(folder));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_secret_a_node_loads_is_created_once_owner_only_and_read_back_by_every_later_load()
    {
        var folder = Path.Combine(_root, "fresh", "data");
        var minted = 0;
        string Mint() => $"secret-{++minted}";

        var first = NodeSecretFiles.LoadOrCreate(folder, NodeSecretFiles.KeyHash, Mint);
        var second = NodeSecretFiles.LoadOrCreate(folder, NodeSecretFiles.KeyHash, Mint);

        Assert.Equal(("secret-1", "secret-1", 1), (first, second, minted));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, NodeSecretFiles.KeyHash)));
    }

    [Fact]
    public async Task An_exported_set_opens_only_with_its_passphrase_and_never_over_other_secrets()
    {
        var node = Path.Combine(_root, "node-a");
        Assert.Equal(0, (await _cli.RunAsync("secrets", "create", "--out", node)).ExitCode);
        var sealedFile = Path.Combine(_root, "cluster.sealed");

        var export = await _cli.RunAsync("secrets", "export", "--data", node, "--out", sealedFile);
        Assert.Equal(0, export.ExitCode);
        var text = await File.ReadAllTextAsync(sealedFile, TestContext.Current.CancellationToken);
        Assert.All(NodeSecretFiles.Read(node).Values, secret => Assert.DoesNotContain(secret.Trim(), text, StringComparison.Ordinal));

        var wrong = await _cli.With((SecretsCommand.PassphraseVariable, "not the passphrase at all")).RunAsync("secrets", "import", "--in", sealedFile, "--out", Path.Combine(_root, "x"));
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("Wrong passphrase", OneLine(wrong.Error), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "x")) && Directory.EnumerateFiles(Path.Combine(_root, "x")).Any());

        var nodeB = Path.Combine(_root, "node-b");
        var import = await _cli.RunAsync("secrets", "import", "--in", sealedFile, "--out", nodeB);
        Assert.Equal(0, import.ExitCode);
        Assert.Equal(NodeSecretFiles.Read(node), NodeSecretFiles.Read(nodeB));

        // A node that has secrets of its own keeps them: nothing is written when any file differs.
        var other = Path.Combine(_root, "node-c");
        Assert.Equal(0, (await _cli.RunAsync("secrets", "create", "--out", other, "--geography", "us")).ExitCode);
        var mine = NodeSecretFiles.Read(other);
        var refused = await _cli.RunAsync("secrets", "import", "--in", sealedFile, "--out", other);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("keyhash.secret", OneLine(refused.Error), StringComparison.Ordinal);
        Assert.Equal(mine, NodeSecretFiles.Read(other));

        var noPassphrase = await _cli.With((SecretsCommand.PassphraseVariable, null)).RunAsync("secrets", "export", "--data", node, "--out", Path.Combine(_root, "y"));
        Assert.Equal(2, noPassphrase.ExitCode);
        Assert.False(File.Exists(Path.Combine(_root, "y")));
    }

    [Fact]
    public async Task A_node_reads_a_mounted_secrets_folder_writes_nothing_there_and_check_compares_it_with_the_cluster()
    {
        var server = Environment.GetEnvironmentVariable("MERIDIAN_TEST_POSTGRES");
        Assert.True(server is not null, "MERIDIAN_TEST_POSTGRES is not set; run the tests through ./build.sh test, which starts PostgreSQL.");
        var prefix = "sec" + Guid.NewGuid().ToString("N")[..12];
        var mounted = Path.Combine(_root, "mounted");
        var data = Path.Combine(_root, "data");
        Assert.Equal(0, (await _cli.RunAsync("secrets", "create", "--out", mounted)).ExitCode);
        var set = NodeSecretFiles.Read(mounted);

        GatewayOptions Node(string secrets) => new()
        {
            Port = 0, DataDirectory = data, SecretsDirectory = secrets, Store = StoreEngine.Postgres, Postgres = server, PostgresSchemaPrefix = prefix,
        };

        var (app, _) = GatewayHost.Build(Node(mounted));
        await using (app)
        {
            using var signer = new ReceiptSigner(Convert.FromBase64String(set["receipt-signing.key"]));
            Assert.Equal(signer.KeyId, app.Services.GetRequiredService<ReceiptSigner>().KeyId);
        }

        Assert.Equal(set, NodeSecretFiles.Read(mounted));
        Assert.Empty(NodeSecretFiles.Read(data)); // every secret came from the mounted folder; none was minted in the data folder

        string[] check = ["secrets", "check", "--data", data, "--secrets-dir", mounted, "--store", "postgres", "--postgres", server, "--postgres-schema", prefix];
        var same = await _cli.RunAsync(check);
        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.Contains("This node's secrets are the cluster's", OneLine(same.Out), StringComparison.Ordinal);

        var stranger = Path.Combine(_root, "stranger");
        Assert.Equal(0, (await _cli.RunAsync("secrets", "create", "--out", stranger)).ExitCode);
        check[5] = stranger;
        var differs = await _cli.RunAsync(check);
        Assert.Equal(1, differs.ExitCode);
        Assert.Contains("differs", differs.Out, StringComparison.Ordinal);
        Assert.Contains("would refuse to start", OneLine(differs.Error), StringComparison.Ordinal);

        // A mounted folder without a geography's case key stops the start, naming the file; nothing is created there.
        File.Delete(Path.Combine(stranger, "ts-key-eu.secret"));
        var missing = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(Node(stranger)));
        Assert.Contains("ts-key-eu.secret", missing.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(stranger, "ts-key-eu.secret")));
    }

    /// <summary>The console wraps long lines (paths make them long): compare text with its whitespace runs made one space.</summary>
    private static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
}
