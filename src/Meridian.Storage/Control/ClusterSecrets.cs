using Meridian.Storage.Sql;

namespace Meridian.Storage.Control;

/// <summary>One secret a node holds, named by what it is, with a fingerprint that reveals nothing of it and where it came from.</summary>
/// <param name="Name">e.g. <c>key-hash</c>, <c>receipt-signing</c>, <c>case-key:eu</c>.</param>
/// <param name="Fingerprint">A one-way function of the secret (an HMAC of a fixed label, or a public key id).</param>
/// <param name="Source">Where this node read it (a file, an environment variable), for the message when it differs.</param>
public sealed record SecretFingerprint(string Name, string Fingerprint, string Source);

/// <summary>A secret this node holds that differs from the one the cluster's shared store recorded.</summary>
public sealed record SecretMismatch(SecretFingerprint Node, string ClusterFingerprint, string RecordedAt);

/// <summary>
/// The fingerprints of the cluster's secrets, in the shared control store (issue 22): the first node to start records
/// each; every later node compares its own. Nodes with other secrets hash keys differently (401 to the others' keys),
/// sign receipts with another key and seal cases others cannot open, so a mismatch must stop them before they serve.
/// Only fingerprints are stored, never a secret. Thread-safe.
/// </summary>
public sealed class ClusterSecrets(ControlStore store)
{
    internal const string Schema = """
        CREATE TABLE cluster_secrets (
            name TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """;

    /// <summary>Whether any fingerprint is recorded: the store was initialised by a node with secrets of its own.</summary>
    public bool AnyRecorded()
    {
        using var connection = store.Database.Open();
        return connection.Scalar(null, "SELECT COUNT(*) FROM cluster_secrets") > 0;
    }

    /// <summary>Every recorded fingerprint by secret name, with when it was recorded; changes nothing.</summary>
    public IReadOnlyDictionary<string, (string Fingerprint, string RecordedAt)> Recorded()
    {
        using var connection = store.Database.Open();
        return connection.Query(null, "SELECT name, fingerprint, recorded_at FROM cluster_secrets", r => (r.GetString(0), r.GetString(1), r.GetString(2)))
            .ToDictionary(r => r.Item1, r => (r.Item2, r.Item3), StringComparer.Ordinal);
    }

    /// <summary>
    /// Records the fingerprints not recorded yet (this node is the first to hold those secrets) and returns those that
    /// differ from what is recorded, in one serialized transaction, so two nodes starting together agree on one set.
    /// </summary>
    public IReadOnlyList<SecretMismatch> Reconcile(IReadOnlyList<SecretFingerprint> secrets, DateTimeOffset now)
    {
        using var connection = store.Database.Open();
        using var transaction = store.Database.BeginWrite(connection);
        var mismatches = new List<SecretMismatch>();
        foreach (var secret in secrets)
        {
            var rows = connection.Query(transaction, "SELECT fingerprint, recorded_at FROM cluster_secrets WHERE name = @name",
                r => (Fingerprint: r.GetString(0), At: r.GetString(1)), ("@name", secret.Name));
            if (rows is not [var recorded])
            {
                connection.Execute(transaction, "INSERT INTO cluster_secrets VALUES (@name, @fingerprint, @at)",
                    ("@name", secret.Name), ("@fingerprint", secret.Fingerprint), ("@at", ControlStore.FormatTime(now)));
            }
            else if (!string.Equals(recorded.Fingerprint, secret.Fingerprint, StringComparison.Ordinal))
            {
                mismatches.Add(new SecretMismatch(secret, recorded.Fingerprint, recorded.At));
            }
        }

        // Nothing recorded when any secret differs: a refused node leaves the cluster's record as it was.
        if (mismatches.Count == 0)
        {
            transaction.Commit();
        }

        return mismatches;
    }
}
