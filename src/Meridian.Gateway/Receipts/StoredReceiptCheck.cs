using Meridian.Core.Receipts;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Receipts;

/// <summary>
/// Whether stored receipts are the operator's, unaltered, as the boundary report checks every one of them: a receipt in
/// a log must hash to the leaf stored in its row, and that leaf must lie under the log's latest signed tree head. Each
/// log is checked once — its stored leaves folded to a root, compared with the head's, whose signature is checked — so a
/// report over N receipts costs N leaf hashes and one pass over each log, not N inclusion proofs. A receipt from before
/// the log is checked by its own signature. Not thread-safe: one per report.
/// </summary>
internal sealed class StoredReceiptCheck(ReceiptSigner signer)
{
    private readonly Dictionary<(string Geography, string LogId), long> _verifiedSizes = [];

    /// <param name="leaf">Where the row says the receipt sits in a log; null for a receipt written before the log.</param>
    public bool Authentic(ReceiptStore store, Receipt receipt, LogPosition? leaf)
    {
        if (leaf is null)
        {
            return signer.Verifies(receipt);
        }

        // A receipt rewritten at rest no longer hashes to its leaf; a leaf rewritten with it no longer folds to the signed root.
        return ReceiptSigner.LeafHash(receipt).AsSpan().SequenceEqual(leaf.LeafHash) && leaf.LeafIndex < VerifiedSize(store, leaf.LogId);
    }

    /// <summary>
    /// Whether a stored access record is the operator's, unaltered: it hashes to the leaf in its row, under the log's latest
    /// signed head. A record not appended yet is taken as it is (its log's writer appends it before its access is
    /// answered); one from before records were leaves has only the access log's chain.
    /// </summary>
    public bool Authentic(ReceiptStore store, AccessEvent record) =>
        record.Leaf is not { LeafIndex: >= 0 } leaf
        || (AccessRecords.LeafHash(record).AsSpan().SequenceEqual(leaf.LeafHash) && leaf.LeafIndex < VerifiedSize(store, leaf.LogId));

    /// <summary>How many leaves of the log are proven under its latest signed head: its size, or 0 when the stored log does not match it.</summary>
    private long VerifiedSize(ReceiptStore store, string logId)
    {
        if (_verifiedSizes.TryGetValue((store.Geography, logId), out var known))
        {
            return known;
        }

        long size = 0;
        if (store.LatestTreeHead(logId) is { } head && signer.PublicKeyOf(head.KeyId) is { } publicKey
            && TreeHeadSigning.Verify(TreeHeadView.Of(head, store.Geography), publicKey) is null)
        {
            try
            {
                size = MerkleTree.Root(store.LeafSource(logId, head.TreeSize), 0, head.TreeSize).AsSpan().SequenceEqual(head.RootHash) ? head.TreeSize : 0;
            }
            catch (LogGapException)
            {
                // Leaves removed or renumbered at rest: nothing in this log is proven.
            }
        }

        _verifiedSizes[(store.Geography, logId)] = size;
        return size;
    }
}
