using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Gateway.Snapshot;
using Meridian.Protocol;
using Meridian.Protocol.Errors;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// <c>GET /v1/models</c>: the caller's deployments as Anthropic model objects, newest first, paginated with
/// <c>limit</c>, <c>after_id</c> and <c>before_id</c> exactly like Anthropic's list. Each carries the model facts of
/// Anthropic's Models API: <c>max_input_tokens</c> (the context window), <c>max_tokens</c> (the largest
/// <c>max_tokens</c> a request may ask for) and <c>capabilities</c>, which are what the backends inside the
/// deployment's boundary can do together (the router sends a request only to one that can express it).
/// </summary>
internal sealed class ModelsEndpoint(ApiKeyAuthenticator authenticator, GatewaySnapshotProvider snapshots)
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 1000;

    public async Task ListAsync(HttpContext context)
    {
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await ErrorResponses.WriteAsync(context, authError);
            return;
        }

        var query = context.Request.Query;
        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            await ErrorResponses.WriteAsync(context, ApiError.InvalidRequest($"limit: Input should be an integer between 1 and {MaxLimit}"));
            return;
        }

        var all = snapshots.Current.ResourceDeployments.GetValueOrDefault(key.ResourceId) ?? [];
        var afterId = query["after_id"].ToString();
        var beforeId = query["before_id"].ToString();
        IReadOnlyList<DeploymentRoute> page;
        bool hasMore;
        if (beforeId.Length > 0)
        {
            var end = IndexOf(all, beforeId);
            var start = Math.Max(0, end - limit);
            page = [.. all.Skip(start).Take(end - start)];
            hasMore = start > 0;
        }
        else
        {
            var start = afterId.Length > 0 ? IndexOf(all, afterId) + 1 : 0;
            page = [.. all.Skip(start).Take(limit)];
            hasMore = start + page.Count < all.Count;
        }

        await WriteJsonAsync(context, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("data"u8);
            foreach (var deployment in page)
            {
                WriteModel(json, deployment, snapshots.Current.Backends.CapabilitiesOf(deployment));
            }

            json.WriteEndArray();
            json.WriteBoolean("has_more"u8, hasMore);
            json.WriteString("first_id"u8, page.Count > 0 ? page[0].Name : null);
            json.WriteString("last_id"u8, page.Count > 0 ? page[^1].Name : null);
            json.WriteEndObject();
        });
    }

    public async Task GetAsync(HttpContext context, string id)
    {
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await ErrorResponses.WriteAsync(context, authError);
            return;
        }

        var resolution = snapshots.Current.Resolve(key, id);
        if (resolution.Deployment is not { } deployment)
        {
            await ErrorResponses.WriteAsync(context, MessagesEndpoint.RefusalOf(resolution, id, key.ResourceId));
            return;
        }

        await WriteJsonAsync(context, json => WriteModel(json, deployment, snapshots.Current.Backends.CapabilitiesOf(deployment)));
    }

    private static int IndexOf(IReadOnlyList<DeploymentRoute> all, string name)
    {
        for (var i = 0; i < all.Count; i++)
        {
            if (all[i].Name == name)
            {
                return i;
            }
        }

        return all.Count;
    }

    private static void WriteModel(Utf8JsonWriter json, DeploymentRoute deployment, BackendCapabilities capabilities)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "model"u8);
        json.WriteString("id"u8, deployment.Name);
        json.WriteString("display_name"u8, deployment.Name == deployment.ModelId ? deployment.ModelId : $"{deployment.Name} ({deployment.ModelId})");
        json.WriteString("created_at"u8, deployment.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteNumber("max_input_tokens"u8, deployment.ContextWindow);
        json.WriteNumber("max_tokens"u8, deployment.MaxOutputTokens);
        WriteCapabilities(json, capabilities);
        json.WriteEndObject();
    }

    /// <summary>
    /// Anthropic's <c>capabilities</c> object, every key present. <c>batch</c> is false: Meridian has no Message Batches
    /// API. The variants (thinking types, effort levels, context edits) are as supported as their parent.
    /// </summary>
    private static void WriteCapabilities(Utf8JsonWriter json, BackendCapabilities capabilities)
    {
        json.WriteStartObject("capabilities"u8);
        Supported(json, "batch"u8, false);
        Supported(json, "citations"u8, capabilities.Citations);
        Supported(json, "code_execution"u8, capabilities.CodeExecution);

        json.WriteStartObject("context_management"u8);
        json.WriteBoolean("supported"u8, capabilities.ContextManagement);
        Supported(json, "clear_thinking_20251015"u8, capabilities.ContextManagement);
        Supported(json, "clear_tool_uses_20250919"u8, capabilities.ContextManagement);
        Supported(json, "compact_20260112"u8, capabilities.ContextManagement);
        json.WriteEndObject();

        json.WriteStartObject("effort"u8);
        json.WriteBoolean("supported"u8, capabilities.Effort);
        Supported(json, "low"u8, capabilities.Effort);
        Supported(json, "medium"u8, capabilities.Effort);
        Supported(json, "high"u8, capabilities.Effort);
        Supported(json, "max"u8, capabilities.Effort);
        json.WriteEndObject();

        Supported(json, "image_input"u8, capabilities.ImageInput);
        Supported(json, "pdf_input"u8, capabilities.PdfInput);
        Supported(json, "structured_outputs"u8, capabilities.StructuredOutputs);

        json.WriteStartObject("thinking"u8);
        json.WriteBoolean("supported"u8, capabilities.Thinking);
        json.WriteStartObject("types"u8);
        Supported(json, "adaptive"u8, capabilities.Thinking);
        Supported(json, "enabled"u8, capabilities.Thinking);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Supported(Utf8JsonWriter json, ReadOnlySpan<byte> name, bool supported)
    {
        json.WriteStartObject(name);
        json.WriteBoolean("supported"u8, supported);
        json.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            write(json);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
