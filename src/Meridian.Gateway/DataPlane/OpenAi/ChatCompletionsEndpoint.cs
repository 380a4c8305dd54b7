namespace Meridian.Gateway.DataPlane.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>/openai/v1/chat/completions</c>: OpenAI's chat completions, answered by the
/// Messages request path (the same keys, boundary routing, quotas, screening, metering and signed receipts) through
/// the OpenAI dialect. Receipts say <c>"endpoint": "chat_completions"</c>.
/// </summary>
internal sealed class ChatCompletionsEndpoint(MessagesEndpoint messages, TimeProvider time)
{
    public Task CreateAsync(HttpContext context)
    {
        OpenAiDialect.AddRequestIdHeader(context);
        return messages.CreateAsync(context, new OpenAiDialect(time));
    }
}
