using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Core.Access;
using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Receipts;

/// <summary>
/// Who touched a request's content or case, as an access record names them: whose people (the organisation) in which
/// role, and the person only as a commitment. The tenant learns who received its content as an organisation, which is
/// what the receipt promises, while a Trust &amp; Safety reviewer stays unnamed to the party it reviewed (docs/safeguards.md,
/// "What tenants see"); the operator can prove who it was by revealing the entry's salt (the admin access log serves it).
/// </summary>
/// <param name="Organisation"><c>operator</c>, a publisher id or a tenant id: whose people the actor is.</param>
/// <param name="Commitment">
/// Hex SHA-256 of <c>"meridian.access-actor.v1\n" || salt || "\n" || actor id || "\n" || display name</c>, the salt being 16
/// random bytes (hex) kept with the entry; null on entries from before.
/// </param>
internal sealed record AccessActorView(string? Role, string? Organisation, string? Commitment);

/// <summary>
/// One access record of a request, as <c>GET /v1/receipts/{id}</c> serves it beside the receipt (member <c>access</c>):
/// an entry of the geography's Trust &amp; Safety access log bound to the request. Its leaf in the receipt log is
/// <c>SHA-256(0x00 || "meridian.access-record.v1\n" || canonical form)</c>, the canonical form being this object without
/// <c>log</c>, in the receipts' canonical JSON (<see cref="ReceiptCanonicalJson"/>); the tag keeps a record's leaf from
/// ever passing for a receipt's. <see cref="ChainHash"/> is the entry's hash in the access log's chain, which also
/// covers the free-text reason a tenant is not shown.
/// </summary>
/// <param name="At">Exactly as stored and hashed (UTC, seven fractional digits, <c>Z</c>).</param>
/// <param name="Content">Whether this access returned the request's content (an <c>open</c>).</param>
/// <param name="Log">The record's leaf and its inclusion proof; null while its log's writer has not appended it yet, or for an entry from before entries were leaves.</param>
internal sealed record AccessRecordView(
    string RequestId, string CaseId, long Seq, string Event, string? ReasonCode, string At, AccessActorView Actor, bool Content, string ChainHash,
    ReceiptLogView? Log);

/// <summary>
/// One party that received the request's content, derived from the receipt (the backends' operators it was sent to)
/// and its access records (whose people opened its case).
/// </summary>
/// <param name="Via"><c>processing</c> (named by the receipt's <c>data_recipients</c>) or <c>case_open</c> (an access record).</param>
/// <param name="Roles">For <c>case_open</c>: the roles of the people who opened it.</param>
/// <param name="Records">For <c>case_open</c>: the access records' sequence numbers.</param>
internal sealed record ContentRecipientView(string Party, string Via, IReadOnlyList<string>? Roles, IReadOnlyList<long>? Records);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AccessRecordView))]
[JsonSerializable(typeof(IReadOnlyList<AccessRecordView>))]
[JsonSerializable(typeof(IReadOnlyList<ContentRecipientView>))]
internal sealed partial class AccessRecordJsonContext : JsonSerializerContext;

/// <summary>Access records: who an access names, their leaf hash, and the content recipients they add to a receipt's.</summary>
internal static class AccessRecords
{
    public const string Tag = "meridian.access-record.v1\n";

    /// <summary>The event that returns a request's content to a person.</summary>
    public const string ContentEvent = "open";

    /// <summary>Whose people an admin caller is: the operator's (its admin and its reviewers), a publisher's or a tenant's.</summary>
    public static AccessActor Of(AdminCaller caller) => new(
        caller.Actor,
        AdminRoles.Of(caller.Role),
        caller.Name,
        caller.IsOperator ? ReceiptBoundary.OperatorParty
        : caller.ReviewerFor switch
        {
            ReviewedBy.Publisher => caller.PublisherId ?? ReceiptBoundary.OperatorParty,
            ReviewedBy.Tenant => caller.TenantId ?? ReceiptBoundary.OperatorParty,
            _ => caller.PublisherId ?? caller.TenantId ?? ReceiptBoundary.OperatorParty,
        });

    public static AccessRecordView ViewOf(AccessEvent e, ReceiptLogView? log) => new(
        e.RequestId ?? string.Empty, e.CaseId, e.Seq, e.Event, e.ReasonCode, Storage.Control.ControlStore.FormatTime(e.At),
        new AccessActorView(e.Who?.Role, e.Who?.Organisation, e.ActorSalt is { } salt ? ActorCommitment(salt, e.Actor, e.Who?.Name ?? string.Empty) : null),
        e.Event == ContentEvent, e.Hash, log);

    /// <summary>The commitment an access record carries instead of the actor's id and display name (see <see cref="AccessActorView"/>).</summary>
    public static string ActorCommitment(string salt, string actorId, string name) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"meridian.access-actor.v1\n{salt}\n{actorId}\n{name}")));

    /// <summary>The leaf hash of an access-log entry (its served form without <c>log</c>).</summary>
    public static byte[] LeafHash(AccessEvent e) => LeafHash(JsonSerializer.SerializeToElement(ViewOf(e, null), AccessRecordJsonContext.Default.AccessRecordView));

    /// <summary>The leaf hash of a served access record (its <c>log</c> member left out).</summary>
    public static byte[] LeafHash(JsonElement record) => MerkleTree.HashLeaf([.. Encoding.UTF8.GetBytes(Tag), .. ReceiptCanonicalJson.Of(record)]);

    /// <summary>Everyone who received the request's content: the receipt's content recipients, then each organisation that opened its case.</summary>
    public static IReadOnlyList<ContentRecipientView> ContentRecipients(Receipt receipt, IReadOnlyList<AccessEvent> records)
    {
        var recipients = new List<ContentRecipientView>();
        foreach (var recipient in receipt.DataRecipients ?? [])
        {
            if (recipient.Classes.Contains(ReceiptBoundary.Content))
            {
                recipients.Add(new ContentRecipientView(recipient.Party, "processing", null, null));
            }
        }

        foreach (var opened in records.Where(r => r.Event == ContentEvent).GroupBy(r => r.Who?.Organisation ?? r.Actor, StringComparer.Ordinal))
        {
            recipients.Add(new ContentRecipientView(
                opened.Key, "case_open", [.. opened.Select(r => r.Who?.Role ?? "unknown").Distinct(StringComparer.Ordinal)], [.. opened.Select(r => r.Seq)]));
        }

        return recipients;
    }
}

/// <summary>What checking one served access record found: where it says it sits, and what failed (null: verified, or not in its log yet).</summary>
public sealed record AccessRecordCheck(long Seq, string Event, string? Organisation, ReceiptLogView? Log, string? Failure)
{
    public bool InLog => Log is not null && Failure is null;
}

/// <summary>
/// Checks offline the access records served beside a receipt (<c>access</c>) and its <c>content_recipients</c>, with the
/// operator's public key, as <see cref="ReceiptLogVerifier"/> checks the receipt: docs/receipts.md, "Access records".
/// </summary>
internal static class AccessRecordVerifier
{
    /// <param name="failure">The first failure, naming the record; null when every record in a log verified and the recipients add up.</param>
    public static IReadOnlyList<AccessRecordCheck> Check(JsonElement receipt, string? requestId, ReadOnlySpan<byte> publicKey, out string? failure)
    {
        failure = null;
        if (!receipt.TryGetProperty(ReceiptCanonicalJson.AccessMember, out var member) || member.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var checks = new List<AccessRecordCheck>();
        var opened = new List<(string Party, long Seq)>();
        foreach (var element in member.EnumerateArray())
        {
            AccessRecordView? view;
            try
            {
                view = element.Deserialize(AccessRecordJsonContext.Default.AccessRecordView);
            }
            catch (JsonException)
            {
                view = null;
            }

            if (view?.Actor is null || view.Event is null)
            {
                failure ??= "an entry of its access records is not an access record";
                continue;
            }

            var check = CheckOne(element, view, requestId, publicKey);
            failure ??= check.Failure;
            checks.Add(check);
            if (view.Content)
            {
                opened.Add((view.Actor.Organisation ?? "unknown", view.Seq));
            }
        }

        failure ??= RecipientsFailure(receipt, opened);
        return checks;
    }

    private static AccessRecordCheck CheckOne(JsonElement element, AccessRecordView view, string? requestId, ReadOnlySpan<byte> publicKey)
    {
        var what = $"access record {view.Seq} ({view.Event} by {view.Actor.Organisation ?? "an unknown organisation"})";
        AccessRecordCheck Failed(string why) => new(view.Seq, view.Event, view.Actor.Organisation, view.Log, $"{what}: {why}");
        if (view.RequestId != requestId)
        {
            return Failed($"it is bound to request {view.RequestId}, not to this receipt's");
        }

        if (view.Content != (view.Event == AccessRecords.ContentEvent))
        {
            return Failed("its content flag does not match its event");
        }

        if (view.Log is not { } log)
        {
            return new(view.Seq, view.Event, view.Actor.Organisation, null, null);
        }

        if (log.TreeHead is null || log.InclusionProof is null)
        {
            return Failed("its log member is not a log position with a tree head and an inclusion proof");
        }

        var leaf = AccessRecords.LeafHash(element);
        if (Convert.ToBase64String(leaf) != log.LeafHash)
        {
            return Failed($"it does not hash to its leaf {log.LeafIndex} of log {log.LogId}: it was altered after it was logged");
        }

        if (log.TreeHead.LogId != log.LogId)
        {
            return Failed($"its tree head is of log {log.TreeHead.LogId}, not of its log {log.LogId}");
        }

        if (TreeHeadSigning.Verify(log.TreeHead, publicKey) is { } bad)
        {
            return Failed(bad);
        }

        var proof = new List<byte[]>(log.InclusionProof.Count);
        foreach (var text in log.InclusionProof)
        {
            if (!TreeHeadSigning.TryHash(text, out var hash))
            {
                return Failed("its inclusion proof holds a value that is not a SHA-256 hash");
            }

            proof.Add(hash);
        }

        TreeHeadSigning.TryHash(log.TreeHead.RootHash, out var root);
        return MerkleTree.VerifyInclusion(leaf, log.LeafIndex, log.TreeHead.TreeSize, proof, root)
            ? new(view.Seq, view.Event, view.Actor.Organisation, log, null)
            : Failed($"its inclusion proof does not lead to the signed root of log {log.LogId} at size {log.TreeHead.TreeSize}: it is not leaf {log.LeafIndex} there");
    }

    /// <summary>Null when <c>content_recipients</c> lists exactly the receipt's content recipients and each party that opened the case, with its records.</summary>
    private static string? RecipientsFailure(JsonElement receipt, List<(string Party, long Seq)> opened)
    {
        if (!receipt.TryGetProperty(ReceiptCanonicalJson.ContentRecipientsMember, out var served) || served.ValueKind != JsonValueKind.Array)
        {
            return opened.Count == 0 ? null : "it lists no content_recipients, yet its access records show its content was opened";
        }

        var expected = new List<string>();
        if (receipt.TryGetProperty("data_recipients", out var recipients) && recipients.ValueKind == JsonValueKind.Array)
        {
            foreach (var recipient in recipients.EnumerateArray())
            {
                if (recipient.TryGetProperty("classes", out var classes) && classes.ValueKind == JsonValueKind.Array
                    && classes.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.String && c.GetString() == ReceiptBoundary.Content))
                {
                    expected.Add($"{recipient.GetProperty("party").GetString()} processing");
                }
            }
        }

        expected.AddRange(opened.GroupBy(o => o.Party, StringComparer.Ordinal).Select(g => $"{g.Key} case_open {string.Join(',', g.Select(o => o.Seq))}"));
        var actual = served.EnumerateArray().Select(r =>
        {
            var party = r.TryGetProperty("party", out var p) ? p.GetString() : null;
            var via = r.TryGetProperty("via", out var v) ? v.GetString() : null;
            var seqs = r.TryGetProperty("records", out var s) && s.ValueKind == JsonValueKind.Array ? " " + string.Join(',', s.EnumerateArray().Select(x => x.GetRawText())) : string.Empty;
            return $"{party} {via}{seqs}";
        }).ToList();
        return expected.SequenceEqual(actual, StringComparer.Ordinal)
            ? null
            : $"its content_recipients ({string.Join("; ", actual)}) are not what the receipt and its access records say ({string.Join("; ", expected)})";
    }
}
