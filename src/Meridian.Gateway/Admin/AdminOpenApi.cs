using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Meridian.Gateway.Admin;

/// <summary>
/// Documents admin request bodies in <c>/openapi/v1.json</c>. Handlers read their bodies themselves (so a bad body
/// is a problem naming the field, whatever the Content-Type), which leaves ApiExplorer without a body type; this
/// metadata and transformer put it back without making routing reject non-JSON content types.
/// </summary>
internal sealed record AdminBody(Type Type, bool Optional);

internal static class AdminOpenApi
{
    public static RouteHandlerBuilder WithBody<T>(this RouteHandlerBuilder builder, bool optional = false) =>
        builder.WithMetadata(new AdminBody(typeof(T), optional));

    public static void Configure(OpenApiOptions options)
    {
        options.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<AdminBody>().FirstOrDefault() is not { } body)
            {
                return;
            }

            var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !body.Optional,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });
    }
}
