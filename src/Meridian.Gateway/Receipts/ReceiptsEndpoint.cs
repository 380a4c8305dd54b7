using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Core.Receipts;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Protocol.Errors;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Receipts;

/// <summary><c>GET /v1/receipts/{request-id}</c>: a receipt, for the tenant that owns it only.</summary>
public sealed class ReceiptsEndpoint(ApiKeyAuthenticator authenticator, ReceiptWriter writer, GeographyStores stores)
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
        await JsonSerializer.SerializeAsync(context.Response.Body, receipt, ReceiptJsonContext.Default.Receipt, context.RequestAborted);
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
