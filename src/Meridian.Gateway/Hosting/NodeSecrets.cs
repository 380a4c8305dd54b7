using Meridian.Gateway.Configuration;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Safeguards;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Hosting;

/// <summary>
/// One node identity across a cluster on a shared store (issue 22): the fingerprints of this node's secrets — the
/// key-hash secret, the receipt-signing key, each geography's case key — are compared with those the shared control
/// store recorded from the first node, and a node whose secrets differ refuses to start, saying which differ and where
/// it read them. Before, a node started on an empty data folder created secrets of its own and served with them.
/// </summary>
internal static class NodeSecrets
{
    /// <summary>The key-hash secret and the receipt-signing key (the public key id is its fingerprint).</summary>
    public static IReadOnlyList<SecretFingerprint> Node(string dataDirectory, byte[] keyHashSecret, IReadOnlyList<byte[]> keyHashOverlap, GatewayOptions options)
    {
        using var signer = ReceiptSigner.LoadOrCreate(dataDirectory, options.ReceiptSigningKey);
        var signingSource = options.ReceiptSigningKey is not null ? $"ReceiptSigningKey ({ReceiptSigner.KeyEnvironmentVariable})"
            : Path.Combine(dataDirectory, ReceiptSigner.KeyFileName);
        return
        [
            new("key-hash", NodeSecretFiles.Fingerprint(keyHashSecret, "key-hash"), Path.Combine(dataDirectory, NodeSecretFiles.KeyHash),
                [.. keyHashOverlap.Select(secret => NodeSecretFiles.Fingerprint(secret, "key-hash"))]),
            new("receipt-signing", signer.KeyId, signingSource, [.. signer.Keys.Where(k => k.Status is NodeSecretFiles.Next or NodeSecretFiles.Previous).Select(k => k.KeyId)]),
        ];
    }

    /// <summary>Each geography's case key.</summary>
    public static IReadOnlyList<SecretFingerprint> CaseKeys(CaseKeyRing ring, IEnumerable<string> geographies) =>
        [.. geographies.Select(g => new SecretFingerprint("case-key:" + g.ToLowerInvariant(), ring.Fingerprint(g), ring.SourceOf(g), ring.OverlapFingerprints(g)))];

    /// <summary>Records what is not recorded yet; throws, naming every secret that differs, when any does.</summary>
    public static void Verify(ControlStore control, IReadOnlyList<SecretFingerprint> secrets, DateTimeOffset now)
    {
        var mismatches = new ClusterSecrets(control).Reconcile(secrets, now);
        if (mismatches.Count == 0)
        {
            return;
        }

        var differs = string.Join("; ", mismatches.Select(m =>
            $"{m.Node.Name}: this node's {RecordedSecret.Format(m.Node)} (from {m.Node.Source}), the cluster's {m.ClusterFingerprint} (recorded {m.RecordedAt})"));
        throw new InvalidOperationException(
            $"This node's secrets differ from the cluster's recorded in the shared store ({control.Location}): {differs}. " +
            "With them it would refuse the cluster's API keys, sign receipts with another key and seal cases the other nodes cannot open. " +
            "Give it the cluster's secrets (keyhash.secret, receipt-signing.key and ts-key-*.secret from a running node's data folder, or the same " +
            "environment variables) and start it again. During a rotation (several fingerprints: the first is the one in use), every node takes " +
            "each step (stage, promote, finish) before any node takes the next.");
    }
}
