using Meridian.Protocol.OpenAi;

namespace Meridian.Gateway.DataPlane.OpenAi;

/// <summary>
/// The OpenAI door's routes: chat completions at <c>/v1/chat/completions</c> (so an OpenAI SDK with base URL
/// <c>…/v1</c> works beside the Anthropic routes there) and everything under <c>/openai/v1/</c> (base URL
/// <c>…/openai/v1</c>, where models are listed in OpenAI's shape and unknown paths answer in OpenAI's error shape).
/// </summary>
internal static class OpenAiRoutes
{
    public static IServiceCollection AddOpenAiDoor(this IServiceCollection services) =>
        services.AddSingleton<ChatCompletionsEndpoint>().AddSingleton<OpenAiModelsEndpoint>();

    public static void MapOpenAiDoor(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", (HttpContext c, ChatCompletionsEndpoint e) => e.CreateAsync(c));
        var group = app.MapGroup("/openai/v1");
        group.MapPost("/chat/completions", (HttpContext c, ChatCompletionsEndpoint e) => e.CreateAsync(c));
        group.MapGet("/models", (HttpContext c, OpenAiModelsEndpoint e) => e.ListAsync(c));
        group.MapGet("/models/{id}", (HttpContext c, string id, OpenAiModelsEndpoint e) => e.GetAsync(c, id));
        group.MapFallback(context =>
        {
            OpenAiDialect.AddRequestIdHeader(context);
            return OpenAiDialect.WriteErrorAsync(context, new OpenAiError(
                404, "invalid_request_error", "unknown_url", null, $"Invalid URL ({context.Request.Method} {context.Request.Path})"));
        });
    }
}
