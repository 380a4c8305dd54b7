using System.Globalization;
using System.Text.Json;
using Meridian.Core.Receipts;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Gateway.Receipts;
using Meridian.Protocol.Errors;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// The receipt logs (docs/receipts.md, "The receipt log"): <c>GET /v1/receipt-logs</c> (every log's latest signed tree
/// head), <c>GET /v1/receipt-logs/{log}/tree-heads?from_size=&amp;limit=</c> and
/// <c>GET /v1/receipt-logs/{log}/consistency?first=&amp;second=</c>. Tree heads and proofs are hashes only — they
/// disclose no receipt and no tenant — so any valid API key reads them; what a hash belongs to is learned only from a
/// receipt the caller may read. Proofs are computed on read from the stored leaf hashes.
/// </summary>
internal sealed class ReceiptLogEndpoints(ApiKeyAuthenticator authenticator, GeographyStores stores)
{
    public const int MaxHeads = 1000;

    public async Task ListLogsAsync(HttpContext context)
    {
        if (!await AuthenticateAsync(context))
        {
            return;
        }

        var heads = stores.All.SelectMany(s => s.LatestTreeHeads().Select(h => TreeHeadView.Of(h, s.Geography))).OrderBy(h => h.LogId, StringComparer.Ordinal).ToList();
        await WriteAsync(context, new TreeHeadPage(heads, false), ReceiptLogJsonContext.Default.TreeHeadPage);
    }

    public async Task ListTreeHeadsAsync(HttpContext context, string logId)
    {
        if (!await AuthenticateAsync(context))
        {
            return;
        }

        if (!TryLong(context, "from_size", 0, out var from) || !TryLong(context, "limit", 100, out var limit) || from < 0 || limit is < 1 or > MaxHeads)
        {
            await ErrorResponses.WriteAsync(context, ApiError.InvalidRequest($"from_size must be a size of 0 or more and limit 1–{MaxHeads}."));
            return;
        }

        if (StoreOf(logId) is not { } store)
        {
            await NotFoundAsync(context, logId);
            return;
        }

        var heads = store.TreeHeads(logId, from, (int)limit + 1);
        var page = new TreeHeadPage([.. heads.Take((int)limit).Select(h => TreeHeadView.Of(h, store.Geography))], heads.Count > limit);
        await WriteAsync(context, page, ReceiptLogJsonContext.Default.TreeHeadPage);
    }

    public async Task ConsistencyAsync(HttpContext context, string logId)
    {
        if (!await AuthenticateAsync(context))
        {
            return;
        }

        if (!TryLong(context, "first", -1, out var first) || !TryLong(context, "second", -1, out var second) || first < 0 || second < first)
        {
            await ErrorResponses.WriteAsync(context, ApiError.InvalidRequest("first and second must be tree sizes with 0 ≤ first ≤ second."));
            return;
        }

        if (StoreOf(logId) is not { } store)
        {
            await NotFoundAsync(context, logId);
            return;
        }

        if (store.LatestTreeHead(logId) is not { } latest || second > latest.TreeSize)
        {
            await ErrorResponses.WriteAsync(context, ApiError.InvalidRequest($"Log {logId} has no signed tree head of size {second} or more."));
            return;
        }

        List<byte[]> proof;
        try
        {
            proof = MerkleTree.ConsistencyProof(store.LeafSource(logId, second), first, second);
        }
        catch (LogGapException gap)
        {
            await ErrorResponses.WriteAsync(context, ApiError.Internal(gap.Message));
            return;
        }

        await WriteAsync(context, new ConsistencyView(logId, first, second, [.. proof.Select(Convert.ToBase64String)]), ReceiptLogJsonContext.Default.ConsistencyView);
    }

    /// <summary>
    /// The <c>log</c> member of a stored receipt: its leaf, a signed tree head that includes it — the first one (its
    /// batch's), or the one of <paramref name="treeSize"/> — and the audit path. Null for a receipt with no leaf (written
    /// before receipt logs existed).
    /// </summary>
    internal static ReceiptLogView? ViewOf(ReceiptStore store, string requestId, long? treeSize)
    {
        if (store.FindLeaf(requestId) is not { } leaf)
        {
            return null;
        }

        var head = treeSize is { } size ? store.TreeHead(leaf.LogId, size) : store.FirstTreeHeadAfter(leaf.LogId, leaf.LeafIndex);
        if (head is null || head.TreeSize <= leaf.LeafIndex)
        {
            throw new InvalidOperationException(treeSize is { } s
                ? $"Log {leaf.LogId} has no signed tree head of size {s} that includes leaf {leaf.LeafIndex}."
                : $"Log {leaf.LogId} has no signed tree head that includes leaf {leaf.LeafIndex}.");
        }

        var proof = MerkleTree.InclusionProof(store.LeafSource(leaf.LogId, head.TreeSize), leaf.LeafIndex, head.TreeSize);
        return new ReceiptLogView(leaf.LogId, leaf.LeafIndex, Convert.ToBase64String(leaf.LeafHash), TreeHeadView.Of(head, store.Geography), [.. proof.Select(Convert.ToBase64String)]);
    }

    /// <summary>
    /// The <c>log</c> members of a page of receipts: each stored leaf with the inclusion proof to its log's latest signed
    /// tree head, each log's leaf hashes read once per page; null for a receipt with no leaf (still queued: no store; or
    /// written before the log) and for the receipts of a log whose stored leaves no longer lead to its heads (a hole, a
    /// missing head: altered at rest), which is added to <paramref name="errors"/> once, so the page is still served
    /// (and an audit can name each such receipt from <c>GET /v1/receipts/{id}</c>).
    /// </summary>
    internal static IReadOnlyList<ReceiptLogView?> ViewsOf(IReadOnlyList<(ReceiptStore? Store, LogPosition? Leaf)> receipts, ICollection<string> errors)
    {
        var views = new ReceiptLogView?[receipts.Count];
        var logs = new Dictionary<string, (StoredTreeHead Head, ISubtreeSource Leaves, string Geography)?>(StringComparer.Ordinal);
        for (var i = 0; i < receipts.Count; i++)
        {
            if (receipts[i] is not { Store: { } store, Leaf: { } leaf })
            {
                continue;
            }

            if (!logs.TryGetValue(leaf.LogId, out var log))
            {
                try
                {
                    var head = store.LatestTreeHead(leaf.LogId) ?? throw new InvalidOperationException($"Receipt log {leaf.LogId} has no signed tree head, yet receipts are its leaves.");
                    log = (head, store.LeafSource(leaf.LogId, head.TreeSize), store.Geography);
                }
                catch (InvalidOperationException ex)
                {
                    errors.Add(ex.Message);
                }

                logs[leaf.LogId] = log;
            }

            if (log is not { } known)
            {
                continue;
            }

            if (leaf.LeafIndex >= known.Head.TreeSize)
            {
                errors.Add($"Receipt log {leaf.LogId} has no signed tree head that includes leaf {leaf.LeafIndex}.");
                continue;
            }

            var proof = MerkleTree.InclusionProof(known.Leaves, leaf.LeafIndex, known.Head.TreeSize);
            views[i] = new ReceiptLogView(
                leaf.LogId, leaf.LeafIndex, Convert.ToBase64String(leaf.LeafHash), TreeHeadView.Of(known.Head, known.Geography), [.. proof.Select(Convert.ToBase64String)]);
        }

        return views;
    }

    /// <summary>
    /// Access records as served, each with its leaf and the inclusion proof to its log's latest signed tree head (one read
    /// of the log's leaf hashes per log); <c>log</c> null for an entry not appended yet or from before entries were leaves.
    /// </summary>
    internal static IReadOnlyList<AccessRecordView> AccessViewsOf(ReceiptStore store, IReadOnlyList<AccessEvent> records)
    {
        var views = new List<AccessRecordView>(records.Count);
        var logs = new Dictionary<string, (StoredTreeHead Head, ISubtreeSource Leaves)>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (record.Leaf is not { LeafIndex: >= 0 } leaf)
            {
                views.Add(AccessRecords.ViewOf(record, null));
                continue;
            }

            if (!logs.TryGetValue(leaf.LogId, out var log))
            {
                var head = store.LatestTreeHead(leaf.LogId) ?? throw new InvalidOperationException($"Log {leaf.LogId} has no signed tree head, yet access record {record.Seq} is its leaf {leaf.LeafIndex}.");
                logs[leaf.LogId] = log = (head, store.LeafSource(leaf.LogId, head.TreeSize));
            }

            if (leaf.LeafIndex >= log.Head.TreeSize)
            {
                throw new InvalidOperationException($"Log {leaf.LogId} has no signed tree head that includes access record {record.Seq} (leaf {leaf.LeafIndex}).");
            }

            var proof = MerkleTree.InclusionProof(log.Leaves, leaf.LeafIndex, log.Head.TreeSize);
            views.Add(AccessRecords.ViewOf(record, new ReceiptLogView(
                leaf.LogId, leaf.LeafIndex, Convert.ToBase64String(leaf.LeafHash), TreeHeadView.Of(log.Head, store.Geography), [.. proof.Select(Convert.ToBase64String)])));
        }

        return views;
    }

    private ReceiptStore? StoreOf(string logId) => stores.All.FirstOrDefault(s => s.LatestTreeHead(logId) is not null);

    private async Task<bool> AuthenticateAsync(HttpContext context)
    {
        if (authenticator.TryAuthenticate(context.Request, out _, out var error))
        {
            return true;
        }

        await ErrorResponses.WriteAsync(context, error);
        return false;
    }

    private static Task NotFoundAsync(HttpContext context, string logId) => ErrorResponses.WriteAsync(context, ApiError.NotFound($"No receipt log with id '{logId}'."));

    private static bool TryLong(HttpContext context, string name, long fallback, out long value)
    {
        value = fallback;
        var text = context.Request.Query[name].ToString();
        return text.Length == 0 || long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static async Task WriteAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }
}
