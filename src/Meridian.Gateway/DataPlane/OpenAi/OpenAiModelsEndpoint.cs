using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Snapshot;
using Meridian.Protocol.Errors;
using Meridian.Protocol.OpenAi;

namespace Meridian.Gateway.DataPlane.OpenAi;

/// <summary>
/// <c>GET /openai/v1/models</c> and <c>/openai/v1/models/{id}</c>: the caller's deployments in OpenAI's shape
/// (<c>{"object":"list","data":[{"id","object":"model","created","owned_by"}]}</c>, unpaginated as OpenAI's list is).
/// <c>id</c> is the deployment name a request's <c>model</c> takes; <c>owned_by</c> the publisher of its offer.
/// </summary>
internal sealed class OpenAiModelsEndpoint(ApiKeyAuthenticator authenticator, GatewaySnapshotProvider snapshots)
{
    public async Task ListAsync(HttpContext context)
    {
        OpenAiDialect.AddRequestIdHeader(context);
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await OpenAiDialect.WriteErrorAsync(context, OpenAiError.Of(authError, contentFiltered: false));
            return;
        }

        var all = snapshots.Current.ResourceDeployments.GetValueOrDefault(key.ResourceId) ?? [];
        await WriteJsonAsync(context, json =>
        {
            json.WriteStartObject();
            json.WriteString("object"u8, "list"u8);
            json.WriteStartArray("data"u8);
            foreach (var deployment in all)
            {
                WriteModel(json, deployment);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    public async Task GetAsync(HttpContext context, string id)
    {
        OpenAiDialect.AddRequestIdHeader(context);
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await OpenAiDialect.WriteErrorAsync(context, OpenAiError.Of(authError, contentFiltered: false));
            return;
        }

        var resolution = snapshots.Current.Resolve(key, id);
        if (resolution.Deployment is not { } deployment)
        {
            var refusal = resolution.Status == ModelResolutionStatus.NotFound
                ? ApiError.NotFound($"The model '{id}' does not exist or you do not have access to it.")
                : MessagesEndpoint.RefusalOf(resolution, id, key.ResourceId);
            await OpenAiDialect.WriteErrorAsync(context, OpenAiError.Of(refusal, contentFiltered: false));
            return;
        }

        await WriteJsonAsync(context, json => WriteModel(json, deployment));
    }

    private static void WriteModel(Utf8JsonWriter json, DeploymentRoute deployment)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, deployment.Name);
        json.WriteString("object"u8, "model"u8);
        json.WriteNumber("created"u8, deployment.CreatedAt.ToUnixTimeSeconds());
        json.WriteString("owned_by"u8, deployment.PublisherId);
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
