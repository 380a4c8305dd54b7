using System.Text.Json;
using Meridian.Core.Receipts;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Gateway.Records;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Safeguards;
using Meridian.Protocol.Errors;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.DataPlane;

/// <summary><c>GET /v1/receipts/{request-id}</c>: a receipt, for the tenant that owns it only.</summary>
public sealed class ReceiptsEndpoint(ApiKeyAuthenticator authenticator, RecordWriter writer, GeographyStores stores)
{
    public async Task GetAsync(HttpContext context, string requestId)
    {
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await ErrorResponses.WriteAsync(context, authError);
            return;
        }

        var receipt = writer.FindReceipt(requestId) ?? FindStored(requestId);
        if (receipt is null || !Readable(receipt, key))
        {
            // Another tenant's or resource's receipt is reported exactly like a missing one: existence is not disclosed.
            await ErrorResponses.WriteAsync(context, ApiError.NotFound($"No receipt with id '{requestId}'."));
            return;
        }

        context.Response.ContentType = "application/json";
        var caseRecord = writer.FindCase(requestId) ?? stores.For(receipt.StorageGeography).Cases.FindByRequest(requestId);
        if (caseRecord is null)
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, receipt, ReceiptJsonContext.Default.Receipt, context.RequestAborted);
            return;
        }

        // A flagged request's receipt says that a case exists and its outcome — never who reviewed it or what it holds.
        var json = JsonSerializer.SerializeToNode(receipt, ReceiptJsonContext.Default.Receipt)!.AsObject();
        json[ReceiptCanonicalJson.CaseMember] = JsonSerializer.SerializeToNode(
            new ReceiptCaseView(caseRecord.Id, caseRecord.Status, caseRecord.Decision, caseRecord.DecisionAction), CaseJsonContext.Default.ReceiptCaseView);
        await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted);
    }

    /// <summary>
    /// A key reads the receipts of its own resource, as it calls only its resource's deployments; receipts written
    /// before the resource was recorded are readable by every key of the tenant.
    /// </summary>
    internal static bool Readable(Receipt receipt, Storage.Control.KeyRecord key) =>
        receipt.TenantId == key.TenantId && (receipt.ResourceId is null || receipt.ResourceId == key.ResourceId);

    private Receipt? FindStored(string requestId)
    {
        foreach (var store in stores.All)
        {
            if (store.Find(requestId) is { } receipt)
            {
                return receipt;
            }
        }

        return null;
    }
}
