using Meridian.Gateway.Configuration;
using Meridian.Gateway.Receipts;

namespace Meridian.Gateway.Hosting;

/// <summary>What <c>meridian secrets</c> shows of a node's secrets: their fingerprints, read as <c>serve</c> reads them.</summary>
public static class NodeSecretFingerprints
{
    /// <summary>
    /// The fingerprint of each secret a node would use, read as <c>serve</c> reads it (environment variable first, then
    /// the file in <paramref name="folder"/>) without creating anything: null where neither has it (serve would create one).
    /// </summary>
    public static IReadOnlyList<HeldSecret> Read(string folder, Func<string, string?> environment, IEnumerable<string> geographies)
    {
        string? ReadSecret(string? variable, string file) =>
            variable is not null && environment(variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : File.Exists(Path.Combine(folder, file)) ? File.ReadAllText(Path.Combine(folder, file)).Trim()
            : null;

        string SourceOf(string? variable, string file) =>
            variable is not null && environment(variable) is { Length: > 0 } ? variable : Path.Combine(folder, file);

        string KeyHashPrint(string text) => NodeSecretFiles.Fingerprint(Convert.FromHexString(text), "key-hash");
        static string KeyIdOf(string seed)
        {
            using var signer = new ReceiptSigner(Convert.FromBase64String(seed));
            return signer.KeyId;
        }

        IReadOnlyList<string> OverlapOf(string file, Func<string, string> fingerprint) =>
            [.. NodeSecretFiles.Overlap(folder, file).Select(o => $"{o.Stage} {fingerprint(o.Text)}")];

        var held = new List<HeldSecret>();
        var keyHash = ReadSecret(null, NodeSecretFiles.KeyHash);
        held.Add(new("key-hash", keyHash is null ? null : KeyHashPrint(keyHash), SourceOf(null, NodeSecretFiles.KeyHash), OverlapOf(NodeSecretFiles.KeyHash, KeyHashPrint)));
        var seed = ReadSecret(ReceiptSigner.KeyEnvironmentVariable, ReceiptSigner.KeyFileName);
        held.Add(new("receipt-signing", seed is null ? null : KeyIdOf(seed), SourceOf(ReceiptSigner.KeyEnvironmentVariable, ReceiptSigner.KeyFileName),
            OverlapOf(ReceiptSigner.KeyFileName, KeyIdOf)));
        foreach (var geography in geographies.Select(g => g.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var variable = SafeguardsOptions.KeyEnvPrefix + geography.ToUpperInvariant();
            var key = ReadSecret(variable, NodeSecretFiles.CaseKey(geography));
            string CasePrint(string text) => NodeSecretFiles.Fingerprint(Convert.FromBase64String(text), "case-key:" + geography);
            held.Add(new("case-key:" + geography, key is null ? null : CasePrint(key), SourceOf(variable, NodeSecretFiles.CaseKey(geography)), OverlapOf(NodeSecretFiles.CaseKey(geography), CasePrint)));
        }

        return held;
    }
}

/// <summary>
/// A secret as a node holds it: its fingerprint (null when the node has none yet), where it is read from, and the
/// stages of a rotation under way beside it (<c>next fp_…</c>, <c>previous fp_…</c>).
/// </summary>
public sealed record HeldSecret(string Name, string? Fingerprint, string Source, IReadOnlyList<string> Overlap)
{
    /// <summary>The fingerprints of the overlap's other secrets, without their stage.</summary>
    public IEnumerable<string> OverlapFingerprints => Overlap.Select(o => o[(o.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
}
