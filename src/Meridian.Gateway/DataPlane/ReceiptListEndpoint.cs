using System.Globalization;
using System.Text;
using System.Text.Json;
using Meridian.Core.Receipts;
using Meridian.Gateway.Admin;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Gateway.Records;
using Meridian.Gateway.Receipts;
using Meridian.Protocol.Errors;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// <c>GET /v1/receipts?from=&amp;to=&amp;limit=&amp;cursor=</c>: the caller's tenant's receipts in a period, oldest
/// first, from every geography store (and those still queued), paged by an opaque cursor, each with what
/// <c>meridian receipts verify</c> needs (its <c>log</c> member: leaf, its log's latest signed tree head and the
/// inclusion proof to it, as <c>GET /v1/receipts/{id}?tree_size=</c> gives); and
/// <c>GET /.well-known/meridian-receipt-key</c>, the public key that verifies the receipt logs' tree heads (and receipts
/// from before the log).
/// </summary>
internal sealed class ReceiptListEndpoint(ApiKeyAuthenticator authenticator, RecordWriter writer, GeographyStores stores, ReceiptSigner signer, TimeProvider time)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public async Task ListAsync(HttpContext context)
    {
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await ErrorResponses.WriteAsync(context, authError);
            return;
        }

        if (ReadQuery(context, out var query) is { } invalid)
        {
            await ErrorResponses.WriteAsync(context, ApiError.InvalidRequest(invalid.Field + ": " + invalid.Message));
            return;
        }

        await WritePageAsync(context, key.TenantId, key.ResourceId, query);
    }

    /// <summary>
    /// Writes the page of <paramref name="tenantId"/>'s receipts that <paramref name="query"/> asks for: those of
    /// <paramref name="resourceId"/> (and those from before resources were recorded), or with null every receipt of the
    /// tenant, as its signed-in people read them (<c>GET /admin/v1/tenants/{tenant}/receipts</c>).
    /// </summary>
    internal async Task WritePageAsync(HttpContext context, string tenantId, string? resourceId, ReceiptPageQuery query)
    {
        var (from, to, limit, after) = query;
        var merged = new List<(Receipt Receipt, ReceiptStore? Store, LogPosition? Leaf)>();
        foreach (var store in stores.All)
        {
            merged.AddRange((await store.ListForTenantAsync(tenantId, resourceId, from, to, after, limit + 1, context.RequestAborted))
                .Select(r => (r.Receipt, (ReceiptStore?)store, r.Leaf)));
        }

        // Stored before queued: a receipt committed meanwhile is served from its store, with its proof.
        merged.AddRange(writer.PendingFor(tenantId, from, to)
            .Where(r => r.TenantId == tenantId && (resourceId is null || r.ResourceId is null || r.ResourceId == resourceId) && (after is not { } a || Compare(r, a) > 0))
            .Select(r => (r, (ReceiptStore?)null, (LogPosition?)null)));
        var page = merged
            .DistinctBy(r => r.Receipt.RequestId, StringComparer.Ordinal)
            .OrderBy(r => r.Receipt.CreatedAt)
            .ThenBy(r => r.Receipt.RequestId, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        var hasMore = page.Count > limit;
        if (hasMore)
        {
            page.RemoveAt(page.Count - 1);
        }

        // A log altered at rest (a hole in its leaves, a missing head) is named in log_errors, never hidden; its receipts
        // are listed without proofs, so they fail verification.
        var logErrors = new List<string>();
        var logs = ReceiptLogEndpoints.ViewsOf([.. page.Select(r => (r.Store, r.Leaf))], logErrors);

        context.Response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            json.WriteStartObject();
            json.WriteStartArray("data"u8);
            for (var i = 0; i < page.Count; i++)
            {
                var receipt = JsonSerializer.SerializeToNode(page[i].Receipt, ReceiptJsonContext.Default.Receipt)!.AsObject();
                receipt[ReceiptCanonicalJson.LogMember] = logs[i] is { } log ? JsonSerializer.SerializeToNode(log, ReceiptLogJsonContext.Default.ReceiptLogView) : null;
                receipt.WriteTo(json);
            }

            json.WriteEndArray();
            if (logErrors.Count > 0)
            {
                json.WriteStartArray("log_errors"u8);
                foreach (var error in logErrors.Distinct(StringComparer.Ordinal))
                {
                    json.WriteStringValue(error);
                }

                json.WriteEndArray();
            }

            json.WriteBoolean("has_more"u8, hasMore);
            if (hasMore)
            {
                json.WriteString("next_cursor"u8, EncodeCursor(page[^1].Receipt));
            }
            else
            {
                json.WriteNull("next_cursor"u8);
            }

            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>The operator's public receipt key: anyone may fetch it, to verify receipts offline.</summary>
    public async Task PublicKeyAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "public, max-age=300";
        await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("algorithm"u8, ReceiptSigner.Algorithm);
        json.WriteString("key_id"u8, signer.KeyId);
        json.WriteString("public_key"u8, Convert.ToBase64String(signer.PublicKey));
        json.WriteString("encoding"u8, "base64 of the raw 32-byte Ed25519 public key");
        json.WriteString("canonical_form"u8, "RFC 8785 (JCS) of the receipt without its signature member and without null members");
        // Every key whose signatures hold (docs/scale-out.md, "Rotation"): the one above signs; a rotation's next and
        // previous keys, and retired ones, verify receipts and tree heads named by their key id.
        json.WriteStartArray("keys"u8);
        foreach (var key in signer.Keys)
        {
            json.WriteStartObject();
            json.WriteString("key_id"u8, key.KeyId);
            json.WriteString("public_key"u8, Convert.ToBase64String(key.PublicKey));
            json.WriteString("status"u8, key.Status);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The period, page size and cursor of a list request, or the field that is wrong and why.</summary>
    internal (string Field, string Message)? ReadQuery(HttpContext context, out ReceiptPageQuery page)
    {
        var query = context.Request.Query;
        var from = DateTimeOffset.UnixEpoch;
        var to = time.GetUtcNow().AddMinutes(1);
        var limit = DefaultLimit;
        (DateTimeOffset, string)? after = null;
        page = default;
        if (query.TryGetValue("from", out var fromText) && !BoundaryReportHandlers.TryParseTime(fromText.ToString(), out from))
        {
            return ("from", "must be an ISO 8601 time, such as 2026-11-01T00:00:00Z");
        }

        if (query.TryGetValue("to", out var toText) && !BoundaryReportHandlers.TryParseTime(toText.ToString(), out to))
        {
            return ("to", "must be an ISO 8601 time, such as 2026-12-01T00:00:00Z");
        }

        if (from >= to)
        {
            return ("from", "must be before to");
        }

        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return ("limit", $"must be a whole number from 1 to {MaxLimit}");
        }

        if (query.TryGetValue("cursor", out var cursorText) && cursorText.ToString() is { Length: > 0 } cursor)
        {
            after = DecodeCursor(cursor);
            if (after is null)
            {
                return ("cursor", "is not a cursor this API returned");
            }
        }

        page = new ReceiptPageQuery(from, to, limit, after);
        return null;
    }

    private static int Compare(Receipt receipt, (DateTimeOffset CreatedAt, string RequestId) position)
    {
        var byTime = receipt.CreatedAt.UtcTicks.CompareTo(position.CreatedAt.UtcTicks);
        return byTime != 0 ? byTime : string.CompareOrdinal(receipt.RequestId, position.RequestId);
    }

    private static string EncodeCursor(Receipt last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(last.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture) + "|" + last.RequestId))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (DateTimeOffset, string)? DecodeCursor(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return bar > 0 && long.TryParse(text.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks && bar < text.Length - 1
                ? (new DateTimeOffset(ticks, TimeSpan.Zero), text[(bar + 1)..])
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>A list request's period [From, To), page size and the position its cursor continues after.</summary>
internal readonly record struct ReceiptPageQuery(DateTimeOffset From, DateTimeOffset To, int Limit, (DateTimeOffset CreatedAt, string RequestId)? After);
