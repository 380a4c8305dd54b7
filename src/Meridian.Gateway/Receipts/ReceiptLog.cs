using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Meridian.Core.Receipts;
using Meridian.Storage.Geography;
using NSec.Cryptography;

namespace Meridian.Gateway.Receipts;

/// <summary>
/// Names a node's receipt log in one geography: <c>rl_</c> and 16 hex digits of
/// <c>SHA-256("meridian.receipt-log.v1\n" || public key || "\n" || geography || "\n" || node name)</c>. The key and the
/// geography make logs of different operators and geographies distinct; the node name (<c>--node-name</c>, env
/// <c>MERIDIAN_NODE_NAME</c>, default <c>host:port</c>) keeps apart the logs of nodes that share a key and a store.
/// </summary>
internal static class ReceiptLogId
{
    public static string Of(ReadOnlySpan<byte> publicKey, string geography, string nodeName)
    {
        var text = Encoding.UTF8.GetBytes($"\n{geography.ToLowerInvariant()}\n{nodeName}");
        byte[] input = [.. "meridian.receipt-log.v1\n"u8, .. publicKey, .. text];
        return "rl_" + Convert.ToHexStringLower(SHA256.HashData(input))[..16];
    }
}

/// <summary>
/// What a tree head's signature covers: the UTF-8 text
/// <c>meridian.receipt-log.v1\n{log_id}\n{geography}\n{tree_size}\n{base64 root_hash}\n{timestamp}\n</c> (timestamp in
/// Unix milliseconds), signed with the receipt key (Ed25519). Receipts' canonical form starts with <c>{</c>, so a tree
/// head's signature can never be passed off as a receipt's, nor the reverse.
/// </summary>
internal static class TreeHeadSigning
{
    public const string Tag = "meridian.receipt-log.v1";

    public static byte[] SignedBytes(string logId, string geography, long treeSize, ReadOnlySpan<byte> rootHash, long timestampMs) =>
        Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture, $"{Tag}\n{logId}\n{geography}\n{treeSize}\n{Convert.ToBase64String(rootHash)}\n{timestampMs}\n"));

    /// <summary>Null when <paramref name="head"/> carries a valid signature by <paramref name="publicKey"/>; else why not.</summary>
    public static string? Verify(TreeHeadView head, ReadOnlySpan<byte> publicKey)
    {
        if (head.Signature is not { Algorithm: ReceiptSigner.Algorithm } signature)
        {
            return $"tree head {head.TreeSize} of log {head.LogId} is not signed with {ReceiptSigner.Algorithm}";
        }

        if (signature.KeyId != ReceiptSigner.KeyIdOf(publicKey))
        {
            return $"tree head {head.TreeSize} of log {head.LogId} is signed with key {signature.KeyId}, not with the given key {ReceiptSigner.KeyIdOf(publicKey)}";
        }

        if (!TryHash(head.RootHash, out var root) || !TryBase64(signature.Value, out var value)
            || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null
            || !SignatureAlgorithm.Ed25519.Verify(key, SignedBytes(head.LogId, head.Geography, head.TreeSize, root, head.Timestamp), value))
        {
            return $"the signature of tree head {head.TreeSize} of log {head.LogId} does not match: the head was altered or not signed by this key";
        }

        return null;
    }

    /// <summary>A base64 SHA-256 hash.</summary>
    public static bool TryHash(string? text, out byte[] hash)
    {
        hash = [];
        return TryBase64(text, out hash) && hash.Length == MerkleTree.HashSize;
    }

    private static bool TryBase64(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null)
        {
            return false;
        }

        try
        {
            bytes = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>A signed tree head as served (hashes in base64).</summary>
public sealed record TreeHeadView(string LogId, string Geography, long TreeSize, string RootHash, long Timestamp, ReceiptSignature Signature)
{
    public static TreeHeadView Of(StoredTreeHead head, string geography) =>
        new(head.LogId, geography, head.TreeSize, Convert.ToBase64String(head.RootHash), head.TimestampMs, new ReceiptSignature(ReceiptSigner.Algorithm, head.KeyId, head.Signature));
}

/// <summary>The <c>log</c> member of a served receipt: its leaf, the first tree head that includes it, and the audit path to that head's root.</summary>
public sealed record ReceiptLogView(string LogId, long LeafIndex, string LeafHash, TreeHeadView TreeHead, IReadOnlyList<string> InclusionProof);

/// <summary><c>GET /v1/receipt-logs</c> and <c>…/{log}/tree-heads</c>.</summary>
internal sealed record TreeHeadPage(IReadOnlyList<TreeHeadView> Data, bool HasMore);

/// <summary><c>GET /v1/receipt-logs/{log}/consistency?first=&amp;second=</c>: RFC 9162 PROOF(first, D[second]).</summary>
internal sealed record ConsistencyView(string LogId, long First, long Second, IReadOnlyList<string> Proof);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ReceiptLogView))]
[JsonSerializable(typeof(TreeHeadPage))]
[JsonSerializable(typeof(ConsistencyView))]
internal sealed partial class ReceiptLogJsonContext : JsonSerializerContext;

/// <summary>
/// One lane's end of its receipt log: keeps the log's right edge (<see cref="MerkleFrontier"/>) in memory, turns each
/// batch into leaves and one signed tree head, and adopts the new edge only once the batch is committed. The edge is
/// restored from the latest stored head when the lane starts and after any failed batch (the commit may have landed
/// before the failure was seen; its leaves are then not appended twice). Not thread-safe: one lane uses it.
/// </summary>
internal sealed class ReceiptLogWriter(string logId, string geography, ReceiptSigner signer, TimeProvider time)
{
    private MerkleFrontier? _frontier;
    private MerkleFrontier? _prepared;
    private long _sizeBeforeFailure = -1;

    public string LogId => logId;

    /// <summary>
    /// The leaves and signed head of <paramref name="receipts"/>, then of the access-log entries <paramref name="access"/>,
    /// appended to the log; null when there is nothing new.
    /// </summary>
    public LogAppend? Prepare(ReceiptStore store, IReadOnlyList<Receipt> receipts, IReadOnlyList<AccessEvent>? access = null)
    {
        access ??= [];
        IReadOnlySet<string>? already = null;
        if (_frontier is null)
        {
            _frontier = Restore(store);
            if (_sizeBeforeFailure >= 0)
            {
                already = store.RequestIdsFrom(logId, _sizeBeforeFailure);
            }
        }

        var next = _frontier.Clone();
        var first = next.Size;
        var leaves = new LogLeaf?[receipts.Count];
        for (var i = 0; i < receipts.Count; i++)
        {
            if (already?.Contains(receipts[i].RequestId) == true)
            {
                continue;
            }

            var hash = ReceiptSigner.LeafHash(receipts[i]);
            leaves[i] = new LogLeaf(next.Size, hash);
            next.Append(hash);
        }

        var accessLeaves = new AccessLeaf[access.Count];
        for (var i = 0; i < access.Count; i++)
        {
            var hash = AccessRecords.LeafHash(access[i]);
            accessLeaves[i] = new AccessLeaf(access[i].Seq, next.Size, hash);
            next.Append(hash);
        }

        _prepared = next;
        if (next.Size == first)
        {
            return null;
        }

        var root = next.Root();
        var timestamp = time.GetUtcNow().ToUnixTimeMilliseconds();
        // The batch's one signature: each receipt is authenticated by its leaf under this head (docs/receipts.md).
        var signature = signer.SignData(TreeHeadSigning.SignedBytes(logId, geography, next.Size, root, timestamp));
        var frontier = new byte[next.Nodes.Count * MerkleTree.HashSize];
        for (var i = 0; i < next.Nodes.Count; i++)
        {
            next.Nodes[i].CopyTo(frontier, i * MerkleTree.HashSize);
        }

        return new LogAppend(leaves, new StoredTreeHead(logId, next.Size, root, timestamp, signer.KeyId, signature, frontier)) { Access = accessLeaves };
    }

    public void Committed()
    {
        _frontier = _prepared;
        _prepared = null;
        _sizeBeforeFailure = -1;
    }

    public void Failed()
    {
        if (_frontier is not null && _sizeBeforeFailure < 0)
        {
            _sizeBeforeFailure = _frontier.Size;
        }

        _frontier = null;
        _prepared = null;
    }

    private MerkleFrontier Restore(ReceiptStore store)
    {
        if (store.LatestTreeHead(logId) is not { } head)
        {
            return new MerkleFrontier();
        }

        var nodes = new List<byte[]>();
        for (var offset = 0; offset + MerkleTree.HashSize <= head.Frontier.Length; offset += MerkleTree.HashSize)
        {
            nodes.Add(head.Frontier[offset..(offset + MerkleTree.HashSize)]);
        }

        var frontier = MerkleFrontier.Restore(head.TreeSize, nodes);
        if (frontier.Root().AsSpan().SequenceEqual(head.RootHash))
        {
            return frontier;
        }

        // The stored edge does not fold to the signed root: rebuild it from the leaves, which must.
        frontier = MerkleFrontier.Of(store.LeafSource(logId, head.TreeSize), head.TreeSize);
        return frontier.Root().AsSpan().SequenceEqual(head.RootHash)
            ? frontier
            : throw new InvalidOperationException($"Receipt log {logId}'s stored leaves do not match its latest signed tree head {head.TreeSize}; the log was altered at rest.");
    }
}
