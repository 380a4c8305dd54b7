using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Core.Receipts;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Gateway.Records;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Safeguards;
using Meridian.Protocol.Errors;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// <c>GET /v1/receipts/{request-id}[?tree_size=N]</c>: a receipt, for the tenant that owns it only, with its place in
/// the receipt log and the inclusion proof to a signed tree head (its batch's, or the one of size N).
/// </summary>
internal sealed class ReceiptsEndpoint(ApiKeyAuthenticator authenticator, RecordWriter writer, GeographyStores stores)
{
    public async Task GetAsync(HttpContext context, string requestId)
    {
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await ErrorResponses.WriteAsync(context, authError);
            return;
        }

        var (json, error) = await BuildAsync(context, requestId, receipt => Readable(receipt, key));
        if (error is not null)
        {
            await ErrorResponses.WriteAsync(context, error);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json!.ToJsonString(), context.RequestAborted);
    }

    /// <summary>
    /// The receipt of <paramref name="requestId"/> as <c>GET /v1/receipts/{id}</c> answers it, or the error: one that does
    /// not exist and one <paramref name="readable"/> refuses are the same 404, so existence is not disclosed. Also what the
    /// admin API answers a tenant's signed-in people (<c>GET /admin/v1/tenants/{tenant}/receipts/{id}</c>).
    /// </summary>
    internal async Task<(JsonObject? Json, ApiError? Error)> BuildAsync(HttpContext context, string requestId, Func<Receipt, bool> readable)
    {
        var pending = writer.FindReceipt(requestId);
        var receipt = pending ?? await FindStoredAsync(requestId, context.RequestAborted);
        if (receipt is null || !readable(receipt))
        {
            // Another tenant's or resource's receipt is reported exactly like a missing one: existence is not disclosed.
            return (null, ApiError.NotFound($"No receipt with id '{requestId}'."));
        }

        long? treeSize = null;
        if (context.Request.Query["tree_size"].ToString() is { Length: > 0 } sizeText)
        {
            if (!long.TryParse(sizeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size))
            {
                return (null, ApiError.InvalidRequest("tree_size must be a tree size."));
            }

            treeSize = size;
        }

        // A receipt still queued has no leaf yet, and so nothing that authenticates it: it is served with "log": null
        // (docs/receipts.md, "The receipt log"). A complete answer's last byte waits for the commit, so its receipt has one.
        ReceiptLogView? log = null;
        IReadOnlyList<AccessEvent> records = [];
        IReadOnlyList<AccessRecordView> access = [];
        if (pending is null)
        {
            try
            {
                var store = stores.For(receipt.StorageGeography);
                log = ReceiptLogEndpoints.ViewOf(store, requestId, treeSize);
                records = store.Cases.AccessForRequest(requestId);
                access = ReceiptLogEndpoints.AccessViewsOf(store, records);
            }
            catch (Exception ex) when (ex is InvalidOperationException)
            {
                // A missing head or a hole in the stored leaves: the log was altered at rest (or the size was wrong). Said, never hidden.
                return (null, treeSize is null || ex is LogGapException ? ApiError.Internal(ex.Message) : ApiError.InvalidRequest(ex.Message));
            }
        }

        var caseRecord = writer.FindCase(requestId) ?? stores.For(receipt.StorageGeography).Cases.FindByRequest(requestId);
        var json = JsonSerializer.SerializeToNode(receipt, ReceiptJsonContext.Default.Receipt)!.AsObject();
        if (caseRecord is not null)
        {
            // A flagged request's receipt says that a case exists and its outcome — never who reviewed it or what it holds.
            json[ReceiptCanonicalJson.CaseMember] = JsonSerializer.SerializeToNode(
                new ReceiptCaseView(caseRecord.Id, caseRecord.Status, caseRecord.Decision, caseRecord.DecisionAction), CaseJsonContext.Default.ReceiptCaseView);
        }

        json[ReceiptCanonicalJson.LogMember] = log is null ? null : JsonSerializer.SerializeToNode(log, ReceiptLogJsonContext.Default.ReceiptLogView);
        // Beside the receipt, outside its canonical form: every access to the request's case, each a leaf of the log
        // with its proof, and everyone who received the content — the receipt's recipients and whoever opened the case.
        json[ReceiptCanonicalJson.AccessMember] = JsonSerializer.SerializeToNode(access, AccessRecordJsonContext.Default.IReadOnlyListAccessRecordView);
        json[ReceiptCanonicalJson.ContentRecipientsMember] = JsonSerializer.SerializeToNode(
            AccessRecords.ContentRecipients(receipt, records), AccessRecordJsonContext.Default.IReadOnlyListContentRecipientView);
        return (json, null);
    }

    /// <summary>
    /// A key reads the receipts of its own resource, as it calls only its resource's deployments; receipts written
    /// before the resource was recorded are readable by every key of the tenant.
    /// </summary>
    internal static bool Readable(Receipt receipt, Storage.Control.KeyRecord key) =>
        receipt.TenantId == key.TenantId && (receipt.ResourceId is null || receipt.ResourceId == key.ResourceId);

    private async Task<Receipt?> FindStoredAsync(string requestId, CancellationToken cancellationToken)
    {
        foreach (var store in stores.All)
        {
            if (await store.FindAsync(requestId, cancellationToken) is { } receipt)
            {
                return receipt;
            }
        }

        return null;
    }
}
