using Meridian.Storage.Sql;

namespace Meridian.Storage.Control;

/// <summary>One secret a node holds, named by what it is, with a fingerprint that reveals nothing of it and where it came from.</summary>
/// <param name="Name">e.g. <c>key-hash</c>, <c>receipt-signing</c>, <c>case-key:eu</c>.</param>
/// <param name="Fingerprint">A one-way function of the secret (an HMAC of a fixed label, or a public key id).</param>
/// <param name="Source">Where this node read it (a file, an environment variable), for the message when it differs.</param>
/// <param name="Overlap">During a rotation, the fingerprints of the other secrets this node accepts with it (the staged next or the previous).</param>
public sealed record SecretFingerprint(string Name, string Fingerprint, string Source, IReadOnlyList<string>? Overlap = null)
{
    /// <summary>Every fingerprint whose material this node accepts: the one it uses first.</summary>
    public IReadOnlyList<string> Accepted => [Fingerprint, .. (Overlap ?? []).Where(f => f != Fingerprint)];
}

/// <summary>A secret this node holds that differs from the one the cluster's shared store recorded.</summary>
public sealed record SecretMismatch(SecretFingerprint Node, string ClusterFingerprint, string RecordedAt);

/// <summary>
/// A cluster's record of one secret: the fingerprint new material is made with and those accepted with it during a
/// rotation's overlap. Stored as one text, the current fingerprint first and the others after it, space-separated, so a
/// record from before rotations reads as a secret with no overlap.
/// </summary>
public sealed record RecordedSecret(string Current, IReadOnlyList<string> Accepted)
{
    public static RecordedSecret Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new RecordedSecret(parts[0], parts);
    }

    public static string Format(SecretFingerprint secret) => string.Join(' ', secret.Accepted);

    /// <summary>
    /// Whether a node holding <paramref name="secret"/> and the cluster can read each other's material: each accepts what
    /// the other makes. A rolling rotation keeps this true from one step to the next (stage, promote, finish); skipping
    /// a step on some node breaks it.
    /// </summary>
    public bool Compatible(SecretFingerprint secret) => Accepted.Contains(secret.Fingerprint) && secret.Accepted.Contains(Current);
}

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
    /// During a rotation a node differs only when it cannot read what the cluster makes or the cluster cannot read what
    /// it makes (<see cref="RecordedSecret.Compatible"/>); a compatible node's set becomes the record, so the record
    /// follows a rolling rotation step by step, and a node a step behind the last one started is refused.
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
            var text = RecordedSecret.Format(secret);
            if (rows is not [var recorded])
            {
                connection.Execute(transaction, "INSERT INTO cluster_secrets VALUES (@name, @fingerprint, @at)",
                    ("@name", secret.Name), ("@fingerprint", text), ("@at", ControlStore.FormatTime(now)));
            }
            else if (!RecordedSecret.Parse(recorded.Fingerprint).Compatible(secret))
            {
                mismatches.Add(new SecretMismatch(secret, recorded.Fingerprint, recorded.At));
            }
            else if (!string.Equals(recorded.Fingerprint, text, StringComparison.Ordinal))
            {
                connection.Execute(transaction, "UPDATE cluster_secrets SET fingerprint = @fingerprint, recorded_at = @at WHERE name = @name",
                    ("@name", secret.Name), ("@fingerprint", text), ("@at", ControlStore.FormatTime(now)));
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
