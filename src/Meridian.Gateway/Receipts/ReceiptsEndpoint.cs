using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Core.Receipts;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Gateway.Safeguards;
using Meridian.Protocol.Errors;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Receipts;

/// <summary><c>GET /v1/receipts/{request-id}</c>: a receipt, for the tenant that owns it only.</summary>
public sealed class ReceiptsEndpoint(ApiKeyAuthenticator authenticator, ReceiptWriter writer, GeographyStores stores, CaseWriter cases)
{
    public async Task GetAsync(HttpContext context, string requestId)
    {
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await ErrorResponses.WriteAsync(context, authError);
            return;
        }

        var receipt = writer.FindPending(requestId) ?? FindStored(requestId);
        if (receipt is null || receipt.TenantId != key.TenantId)
        {
            // Another tenant's receipt is reported exactly like a missing one: existence is not disclosed.
            await ErrorResponses.WriteAsync(context, ApiError.NotFound($"No receipt with id '{requestId}'."));
            return;
        }

        context.Response.ContentType = "application/json";
        var caseRecord = cases.FindPending(requestId) ?? stores.For(receipt.StorageGeography).Cases.FindByRequest(requestId);
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

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Receipt))]
public sealed partial class ReceiptJsonContext : JsonSerializerContext;
