using System.ClientModel;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Meridian.Gateway.Receipts;
using OpenAI.Chat;
using OpenAI.Models;

namespace Meridian.Gateway.Tests.OpenAi;

/// <summary>
/// The official OpenAI .NET SDK (<c>OpenAI</c> 2.15.0, <see cref="ChatClient"/>) against the gateway, unchanged: its
/// <c>Endpoint</c> the gateway's <c>/v1</c> or <c>/openai/v1</c>, its key a Meridian key (sent as
/// <c>Authorization: Bearer</c>), answered by the simulator through the whole request path.
/// </summary>
public sealed class OpenAiSdkTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    /// <summary>Violence at <c>high</c>: the default policy blocks it on input (Safeguards tests use the same text).</summary>
    private const string BlockedText = "I'm going to kill you and your whole family.";

    /// <summary>Self-harm at <c>high</c>: flagged on input, blocked on output when the simulator echoes it.</summary>
    private const string SelfHarmText = "Tonight:\nI'm going to kill myself tonight.";

    private static readonly ChatTool WeatherTool = ChatTool.CreateFunctionTool(
        "get_weather",
        "The weather in a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ChatClient Client(string prefix = "/v1", string key = GatewayFixture.DemoKey, string model = GatewayFixture.DeploymentName) =>
        OpenAiClients.Chat(gateway.BaseUrl, key, model, prefix);

    [Theory]
    [InlineData("/v1")]
    [InlineData("/openai/v1")]
    public async Task A_chat_completion_comes_back_typed_with_text_stop_usage_and_both_request_ids(string prefix)
    {
        var result = await Client(prefix).CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Tell me about harbours in winter")], cancellationToken: Ct);
        var completion = result.Value;

        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(GatewayFixture.DeploymentName, completion.Model);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        var text = Assert.Single(completion.Content).Text;
        Assert.Contains("Tell me about harbours in winter", text, StringComparison.Ordinal);
        Assert.Contains("Be brief.", text, StringComparison.Ordinal);
        Assert.True(completion.Usage.InputTokenCount > 0, "usage.prompt_tokens should be positive");
        Assert.True(completion.Usage.OutputTokenCount > 0, "usage.completion_tokens should be positive");
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        var response = result.GetRawResponse();
        Assert.StartsWith("req_", OpenAiClients.Header(response, "x-request-id"), StringComparison.Ordinal);
        Assert.Equal(OpenAiClients.Header(response, "request-id"), OpenAiClients.Header(response, "x-request-id"));
    }

    [Fact]
    public async Task The_receipt_says_chat_completions_carries_the_usage_and_verifies_against_the_published_key()
    {
        var result = await Client().CompleteChatAsync([new UserChatMessage("Receipt me through the OpenAI door")], cancellationToken: Ct);
        var requestId = OpenAiClients.Header(result.GetRawResponse(), "x-request-id");
        using var http = gateway.CreateHttpClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
        using var response = await http.SendAsync(request, Ct);
        var receipt = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal("chat_completions", receipt.GetProperty("endpoint").GetString());
        Assert.Equal(requestId, receipt.GetProperty("request_id").GetString());
        Assert.Equal(200, receipt.GetProperty("status").GetInt32());
        Assert.False(receipt.GetProperty("streamed").GetBoolean());
        Assert.Equal("end_turn", receipt.GetProperty("stop_reason").GetString());
        Assert.Equal(result.Value.Usage.InputTokenCount, receipt.GetProperty("input_tokens").GetInt64());
        Assert.Equal(result.Value.Usage.OutputTokenCount, receipt.GetProperty("output_tokens").GetInt64());
        Assert.DoesNotContain("Receipt me", receipt.GetRawText(), StringComparison.Ordinal);
        var key = await http.GetFromJsonAsync<JsonElement>(".well-known/meridian-receipt-key", Ct);
        var verified = ReceiptVerifier.Verify(receipt, Convert.FromBase64String(key.GetProperty("public_key").GetString()!));
        Assert.True(verified.Valid, verified.Reason);
    }

    [Theory]
    [InlineData("/v1")]
    [InlineData("/openai/v1")]
    public async Task Streaming_updates_add_up_to_the_non_streaming_answer_and_end_with_the_usage(string prefix)
    {
        ChatMessage[] messages = [new UserChatMessage("Stream a short note about lanterns")];
        var expected = (await Client(prefix).CompleteChatAsync(messages, cancellationToken: Ct)).Value;

        var text = new StringBuilder();
        var updates = 0;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        string? id = null;
        await foreach (var update in Client(prefix).CompleteChatStreamingAsync(messages, cancellationToken: Ct))
        {
            updates++;
            id ??= update.CompletionId;
            Assert.Equal(id, update.CompletionId);
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish = update.FinishReason ?? finish;
            usage = update.Usage ?? usage;
        }

        Assert.StartsWith("chatcmpl-", id, StringComparison.Ordinal);
        Assert.True(updates > 3, "the answer should arrive in several chunks");
        Assert.Equal(Assert.Single(expected.Content).Text, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(expected.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(expected.Usage.OutputTokenCount, usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_tool_call_round_trip_works_with_the_SDKs_own_message_types()
    {
        var options = new ChatCompletionOptions { Tools = { WeatherTool } };
        List<ChatMessage> messages = [new UserChatMessage("Please use get_weather for Oslo.")];

        var call = (await Client().CompleteChatAsync(messages, options, Ct)).Value;

        Assert.Equal(ChatFinishReason.ToolCalls, call.FinishReason);
        var toolCall = Assert.Single(call.ToolCalls);
        Assert.Equal("get_weather", toolCall.FunctionName);
        Assert.StartsWith("toolu_", toolCall.Id, StringComparison.Ordinal);
        using (var arguments = JsonDocument.Parse(toolCall.FunctionArguments))
        {
            Assert.Equal(JsonValueKind.String, arguments.RootElement.GetProperty("city").ValueKind);
        }

        messages.Add(new AssistantChatMessage(call));
        messages.Add(new ToolChatMessage(toolCall.Id, "-3 C and snowing"));
        var answer = (await Client().CompleteChatAsync(messages, options, Ct)).Value;

        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Empty(answer.ToolCalls);
        Assert.Contains("the tool get_weather; it returned: \"-3 C and snowing\"", Assert.Single(answer.Content).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streamed_tool_call_arrives_as_indexed_deltas_the_SDK_reassembles()
    {
        var options = new ChatCompletionOptions { Tools = { WeatherTool }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };

        var arguments = new StringBuilder();
        string? callId = null;
        string? name = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("What should I pack?")], options, Ct))
        {
            foreach (var toolUpdate in update.ToolCallUpdates)
            {
                Assert.Equal(0, toolUpdate.Index);
                callId ??= toolUpdate.ToolCallId;
                name ??= toolUpdate.FunctionName;
                arguments.Append(toolUpdate.FunctionArgumentsUpdate?.ToString());
            }

            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("get_weather", name);
        Assert.StartsWith("toolu_", callId, StringComparison.Ordinal);
        using var parsed = JsonDocument.Parse(arguments.ToString());
        Assert.Equal(JsonValueKind.String, parsed.RootElement.GetProperty("city").ValueKind);
    }

    [Fact]
    public async Task A_bad_key_is_a_401_invalid_api_key()
    {
        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            Client(key: GatewayFixture.DemoKey + "-wrong").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));

        OpenAiClients.AssertError(exception, 401, "invalid_request_error", "invalid_api_key");
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_model_not_found_naming_the_model()
    {
        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            Client(model: "gpt-4o").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));

        var error = OpenAiClients.AssertError(exception, 404, "invalid_request_error", "model_not_found");
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("gpt-4o", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocked_input_is_a_400_with_code_content_filter_naming_the_policy_not_the_text()
    {
        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            Client().CompleteChatAsync([new UserChatMessage(BlockedText)], cancellationToken: Ct));

        var error = OpenAiClients.AssertError(exception, 400, "invalid_request_error", "content_filter");
        Assert.Contains("'default'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("family", error.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Blocked_output_ends_the_stream_with_finish_reason_content_filter_and_withholds_the_text()
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage(SelfHarmText)], cancellationToken: Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(ChatFinishReason.ContentFilter, finish);
        Assert.DoesNotContain("kill myself", text.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Blocked_output_of_a_non_streaming_request_is_a_400_content_filter()
    {
        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            Client().CompleteChatAsync([new UserChatMessage(SelfHarmText)], cancellationToken: Ct));

        var error = OpenAiClients.AssertError(exception, 400, "invalid_request_error", "content_filter");
        Assert.DoesNotContain("myself", error.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Models_are_listed_and_read_in_OpenAIs_shape_under_openai_v1()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential(GatewayFixture.DemoKey), OpenAiClients.Options(gateway.BaseUrl, "/openai/v1"));

        var models = (await client.GetModelsAsync(Ct)).Value;
        var model = (await client.GetModelAsync(GatewayFixture.DeploymentName, Ct)).Value;

        var listed = Assert.Single(models, m => m.Id == GatewayFixture.DeploymentName);
        Assert.Equal("pub_anthropic", listed.OwnedBy);
        Assert.Equal(listed.CreatedAt, model.CreatedAt);
        Assert.True(model.CreatedAt > DateTimeOffset.UnixEpoch);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => client.GetModelAsync("gpt-4o", Ct));
        OpenAiClients.AssertError(missing, 404, "invalid_request_error", "model_not_found");
    }
}
