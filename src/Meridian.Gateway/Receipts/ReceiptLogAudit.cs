using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Core.Receipts;

namespace Meridian.Gateway.Receipts;

/// <summary>What checking a served receipt's <c>log</c> member found: whether it is in a log yet, and what failed, if anything.</summary>
internal sealed record ReceiptLogCheck(ReceiptLogView? View, string? Failure)
{
    public bool InLog => View is not null;
}

/// <summary>
/// Checks offline that a served receipt is in the receipt log: it hashes to its leaf (RFC 9162 §2.1.1 over its canonical
/// form), the tree head carries the operator's signature, and the inclusion proof leads from the leaf to that head's root.
/// </summary>
internal static class ReceiptLogVerifier
{
    public static ReceiptLogCheck Check(JsonElement receipt, ReadOnlySpan<byte> publicKey)
    {
        if (receipt.ValueKind != JsonValueKind.Object || !receipt.TryGetProperty(ReceiptCanonicalJson.LogMember, out var member) || member.ValueKind == JsonValueKind.Null)
        {
            return new ReceiptLogCheck(null, null);
        }

        ReceiptLogView? view;
        try
        {
            view = member.Deserialize(ReceiptLogJsonContext.Default.ReceiptLogView);
        }
        catch (JsonException)
        {
            view = null;
        }

        if (view?.TreeHead is null || view.InclusionProof is null)
        {
            return new ReceiptLogCheck(null, "its log member is not a log position with a tree head and an inclusion proof");
        }

        var leaf = MerkleTree.HashLeaf(ReceiptCanonicalJson.Of(receipt));
        if (Convert.ToBase64String(leaf) != view.LeafHash)
        {
            return new ReceiptLogCheck(view, $"it does not hash to its leaf {view.LeafIndex} of log {view.LogId}: it was altered after it was logged");
        }

        if (view.TreeHead.LogId != view.LogId)
        {
            return new ReceiptLogCheck(view, $"its tree head is of log {view.TreeHead.LogId}, not of its log {view.LogId}");
        }

        if (TreeHeadSigning.Verify(view.TreeHead, publicKey) is { } bad)
        {
            return new ReceiptLogCheck(view, bad);
        }

        var proof = new List<byte[]>(view.InclusionProof.Count);
        foreach (var text in view.InclusionProof)
        {
            if (!TreeHeadSigning.TryHash(text, out var hash))
            {
                return new ReceiptLogCheck(view, "its inclusion proof holds a value that is not a SHA-256 hash");
            }

            proof.Add(hash);
        }

        TreeHeadSigning.TryHash(view.TreeHead.RootHash, out var root);
        return MerkleTree.VerifyInclusion(leaf, view.LeafIndex, view.TreeHead.TreeSize, proof, root)
            ? new ReceiptLogCheck(view, null)
            : new ReceiptLogCheck(view, $"its inclusion proof does not lead to the signed root of log {view.LogId} at size {view.TreeHead.TreeSize}: it is not leaf {view.LeafIndex} there");
    }
}

/// <summary>
/// What an auditor keeps between runs (<c>meridian receipts audit --state</c>): the latest signed tree head it verified
/// of every log, and where each receipt it verified sits. Trusted only because the auditor wrote it.
/// </summary>
public sealed class ReceiptAuditState
{
    public Dictionary<string, TreeHeadView> Heads { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, SeenReceipt> Receipts { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Where each access record it verified sits, by <c>{request id}#{sequence number}</c>.</summary>
    public Dictionary<string, SeenReceipt> Access { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>A receipt an audit verified in a log.</summary>
public sealed record SeenReceipt(string LogId, long LeafIndex, string LeafHash);

/// <summary>The outcome of one audit run: the state to keep (only when nothing failed), failures, and what was checked.</summary>
public sealed record ReceiptAuditResult(ReceiptAuditState State, IReadOnlyList<string> Failures, int Logs, int Receipts, int Pending)
{
    /// <summary>Access records verified in their logs.</summary>
    public int AccessRecords => State.Access.Count;

    public bool Passed => Failures.Count == 0;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ReceiptAuditState))]
public sealed partial class ReceiptAuditJsonContext : JsonSerializerContext;

/// <summary>
/// Audits the receipt logs through the data plane with an API key, as <c>meridian receipts audit</c> does: every log's
/// latest tree head must be signed by the operator and, where an earlier head was seen, provably an extension of it
/// (RFC 9162 consistency proof); every receipt the key can read must verify, hash to its leaf and be included under a
/// signed head consistent with the latest; and every receipt seen before must still be there, at the same leaf, with
/// the same hash. The same holds for every access record served beside those receipts: each verifies in its log, and each
/// seen before is still served on its receipt, at the same leaf, with the same hash. A receipt or access record removed,
/// rewritten or reordered at rest fails one of these. Not thread-safe.
/// </summary>
public sealed class ReceiptLogAuditor(HttpClient http, string apiKey, byte[] publicKey)
{
    private readonly Dictionary<(string Log, long First, long Second), string?> _consistency = [];

    public async Task<ReceiptAuditResult> AuditAsync(ReceiptAuditState previous, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var state = new ReceiptAuditState();
        // Proofs are fetched afresh on every run: what the gateway serves may have changed since the last.
        _consistency.Clear();
        var observed = new Dictionary<string, SeenReceipt>(StringComparer.Ordinal);
        var observedAccess = new Dictionary<string, SeenReceipt>(StringComparer.Ordinal);

        // 1. Tree heads: signed, and each an extension of the one seen before.
        using var logs = await GetAsync("v1/receipt-logs", cancellationToken);
        var latest = logs.RootElement.Deserialize(ReceiptLogJsonContext.Default.TreeHeadPage)?.Data ?? [];
        foreach (var head in latest)
        {
            if (TreeHeadSigning.Verify(head, publicKey) is { } bad)
            {
                failures.Add(bad);
                continue;
            }

            state.Heads[head.LogId] = head;
            if (previous.Heads.TryGetValue(head.LogId, out var seen) && await ConsistentAsync(seen, head, cancellationToken) is { } inconsistent)
            {
                failures.Add(inconsistent);
            }
        }

        foreach (var (logId, seen) in previous.Heads)
        {
            if (!latest.Any(h => h.LogId == logId))
            {
                failures.Add($"log {logId} (seen at size {seen.TreeSize}) is gone: its tree heads were removed");
            }
        }

        // 2. The caller's receipts: each genuine, in its log, under a head consistent with the latest.
        var pending = 0;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            using var page = await GetAsync("v1/receipts?limit=1000" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)), cancellationToken);
            foreach (var item in page.RootElement.GetProperty("data").EnumerateArray())
            {
                var requestId = item.GetProperty("request_id").GetString()!;
                listed.Add(requestId);
                if (await CheckReceiptAsync(requestId, state, observed, observedAccess, failures, cancellationToken) is false)
                {
                    pending++;
                }
            }

            cursor = page.RootElement.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);

        // 3. Every receipt seen before is still there, where it was.
        foreach (var (requestId, seen) in previous.Receipts)
        {
            if (!listed.Contains(requestId))
            {
                failures.Add($"{requestId} (leaf {seen.LeafIndex} of log {seen.LogId}) was removed: it is no longer served");
            }
            else if (observed.TryGetValue(requestId, out var now) && now != seen)
            {
                failures.Add(now.LeafHash != seen.LeafHash
                    ? $"{requestId} was rewritten: leaf {seen.LeafIndex} of log {seen.LogId} held another hash when it was audited before"
                    : $"{requestId} moved from leaf {seen.LeafIndex} of log {seen.LogId} to leaf {now.LeafIndex} of log {now.LogId}: the log was reordered");
            }
        }

        // 4. Every access record seen before is still served on its receipt, where it was.
        foreach (var (key, seen) in previous.Access)
        {
            var requestId = key[..key.LastIndexOf('#')];
            var seq = key[(key.LastIndexOf('#') + 1)..];
            if (!observedAccess.TryGetValue(key, out var now))
            {
                failures.Add($"access record {seq} of {requestId} (leaf {seen.LeafIndex} of log {seen.LogId}) was removed: it is no longer served on its receipt");
            }
            else if (now != seen)
            {
                failures.Add(now.LeafHash != seen.LeafHash
                    ? $"access record {seq} of {requestId} was rewritten: leaf {seen.LeafIndex} of log {seen.LogId} held another hash when it was audited before"
                    : $"access record {seq} of {requestId} moved from leaf {seen.LeafIndex} of log {seen.LogId} to leaf {now.LeafIndex} of log {now.LogId}: the log was reordered");
            }
        }

        return new ReceiptAuditResult(failures.Count == 0 ? state : previous, failures, state.Heads.Count, state.Receipts.Count, pending);
    }

    /// <summary>True when the receipt was checked in its log, false when it is not in one yet, null when it failed.</summary>
    private async Task<bool?> CheckReceiptAsync(
        string requestId, ReceiptAuditState state, Dictionary<string, SeenReceipt> observed,
        Dictionary<string, SeenReceipt> observedAccess, List<string> failures, CancellationToken cancellationToken)
    {
        using var response = await SendAsync($"v1/receipts/{Uri.EscapeDataString(requestId)}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            failures.Add($"{requestId}: GET /v1/receipts/{requestId} answered {(int)response.StatusCode}: {Message(body)}");
            return null;
        }

        using var document = JsonDocument.Parse(body);
        var receipt = document.RootElement;
        var check = ReceiptVerifier.Verify(receipt, publicKey);
        if (check.Log is { } position)
        {
            // Where the gateway says it is, verified or not: compared with where it was.
            observed[requestId] = new SeenReceipt(position.LogId, position.LeafIndex, position.LeafHash);
        }

        foreach (var record in check.Access)
        {
            if (record.Log is { } at)
            {
                observedAccess[$"{requestId}#{record.Seq}"] = new SeenReceipt(at.LogId, at.LeafIndex, at.LeafHash);
            }
        }

        if (check.Pending)
        {
            return false;
        }

        if (!check.Valid)
        {
            failures.Add($"{requestId}: {check.Reason}");
            return null;
        }

        if (check.Log is not { } view)
        {
            // A receipt from before the log: its own signature verified, and there is no leaf to follow.
            return false;
        }

        if (!state.Heads.TryGetValue(view.LogId, out var latest))
        {
            failures.Add($"{requestId}: its log {view.LogId} is not among the logs the gateway lists");
            return null;
        }

        if (view.TreeHead.TreeSize <= latest.TreeSize && await ConsistentAsync(view.TreeHead, latest, cancellationToken) is { } inconsistent)
        {
            failures.Add($"{requestId}: {inconsistent}");
            return null;
        }

        state.Receipts[requestId] = new SeenReceipt(view.LogId, view.LeafIndex, view.LeafHash);
        foreach (var record in check.Access)
        {
            if (record.Log is not { } at)
            {
                continue;
            }

            if (!state.Heads.TryGetValue(at.LogId, out var head))
            {
                failures.Add($"{requestId}: the log {at.LogId} of its access record {record.Seq} is not among the logs the gateway lists");
                return null;
            }

            if (at.TreeHead.TreeSize <= head.TreeSize && await ConsistentAsync(at.TreeHead, head, cancellationToken) is { } off)
            {
                failures.Add($"{requestId}: access record {record.Seq}: {off}");
                return null;
            }

            state.Access[$"{requestId}#{record.Seq}"] = new SeenReceipt(at.LogId, at.LeafIndex, at.LeafHash);
        }

        return true;
    }

    /// <summary>Null when <paramref name="second"/> provably extends <paramref name="first"/>; else what is wrong.</summary>
    private async Task<string?> ConsistentAsync(TreeHeadView first, TreeHeadView second, CancellationToken cancellationToken)
    {
        var key = (first.LogId, first.TreeSize, second.TreeSize);
        if (_consistency.TryGetValue(key, out var known) && known is null)
        {
            return null;
        }

        var log = first.LogId;
        string? result;
        if (second.TreeSize < first.TreeSize)
        {
            result = $"log {log} shrank from size {first.TreeSize} to {second.TreeSize}: leaves were removed";
        }
        else if (second.TreeSize == first.TreeSize)
        {
            result = first.RootHash == second.RootHash ? null : $"log {log} has two different signed roots at size {first.TreeSize}: it was rewritten (forked)";
        }
        else
        {
            using var response = await SendAsync($"v1/receipt-logs/{Uri.EscapeDataString(log)}/consistency?first={first.TreeSize}&second={second.TreeSize}", cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                result = $"log {log}: no consistency proof from size {first.TreeSize} to {second.TreeSize} ({(int)response.StatusCode}: {Message(body)})";
            }
            else
            {
                var proof = JsonSerializer.Deserialize(body, ReceiptLogJsonContext.Default.ConsistencyView)?.Proof ?? [];
                var hashes = new List<byte[]>();
                var wellFormed = TreeHeadSigning.TryHash(first.RootHash, out var firstRoot) & TreeHeadSigning.TryHash(second.RootHash, out var secondRoot);
                foreach (var text in proof)
                {
                    wellFormed &= TreeHeadSigning.TryHash(text, out var hash);
                    hashes.Add(hash);
                }

                result = wellFormed && MerkleTree.VerifyConsistency(first.TreeSize, second.TreeSize, firstRoot, secondRoot, hashes)
                    ? null
                    : $"log {log} at size {second.TreeSize} is not an extension of its signed tree head at size {first.TreeSize}: receipts were removed, rewritten or reordered";
            }
        }

        _consistency[key] = result;
        return result;
    }

    private async Task<JsonDocument> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(path, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.StatusCode == HttpStatusCode.OK
            ? JsonDocument.Parse(body)
            : throw new HttpRequestException($"GET /{path} answered {(int)response.StatusCode}: {Message(body)}");
    }

    private async Task<HttpResponseMessage> SendAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-api-key", apiKey);
        return await http.SendAsync(request, cancellationToken);
    }

    private static string Message(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message) ? message.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
