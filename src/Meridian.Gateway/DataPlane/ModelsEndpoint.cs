using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Gateway.Snapshot;
using Meridian.Protocol.Errors;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// <c>GET /v1/models</c>: the caller's deployments as Anthropic model objects, newest first, paginated with
/// <c>limit</c>, <c>after_id</c> and <c>before_id</c> exactly like Anthropic's list.
/// </summary>
public sealed class ModelsEndpoint(ApiKeyAuthenticator authenticator, GatewaySnapshotProvider snapshots)
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
                WriteModel(json, deployment);
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
            await ErrorResponses.WriteAsync(context, resolution.Status == ModelResolutionStatus.NotPermitted
                ? ApiError.Permission($"This API key does not have access to model '{id}'.")
                : ApiError.NotFound($"model: {id}"));
            return;
        }

        await WriteJsonAsync(context, json => WriteModel(json, deployment));
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

    private static void WriteModel(Utf8JsonWriter json, DeploymentRoute deployment)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "model"u8);
        json.WriteString("id"u8, deployment.Name);
        json.WriteString("display_name"u8, deployment.Name == deployment.ModelId ? deployment.ModelId : $"{deployment.Name} ({deployment.ModelId})");
        json.WriteString("created_at"u8, deployment.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
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
