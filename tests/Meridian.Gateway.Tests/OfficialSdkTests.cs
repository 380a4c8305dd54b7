using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Helpers;
using Anthropic.Models;
using Anthropic.Models.Messages;
using Anthropic.Models.Models;

namespace Meridian.Gateway.Tests;

/// <summary>
/// The official .NET SDK (<c>Anthropic</c> 13.14.0, <see cref="AnthropicClient"/>) against the gateway, exactly as a
/// customer would point it: <c>BaseUrl</c> = the gateway, <c>ApiKey</c> = a Meridian key (sent as
/// <c>Authorization: Bearer</c>).
/// </summary>
public sealed class OfficialSdkTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>, IDisposable
{
    private const string Model = GatewayFixture.DeploymentName;

    private readonly AnthropicClient _client = NewClient(gateway, GatewayFixture.DemoKey);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_message_comes_back_typed_with_text_end_turn_usage_and_a_request_id()
    {
        using var raw = await _client.WithRawResponse.Messages.Create(Ask("Tell me about harbours in winter"), Ct);

        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.StartsWith("req_", raw.RequestID, StringComparison.Ordinal);
        var message = await raw.Deserialize(Ct);
        Assert.StartsWith("msg_", message.ID, StringComparison.Ordinal);
        Assert.Equal(Model, message.Model.Raw());
        var text = TextOf(message);
        Assert.Contains("Tell me about harbours in winter", text, StringComparison.Ordinal);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.Null(message.StopSequence);
        Assert.True(message.Usage.InputTokens > 0, "usage.input_tokens should be positive");
        Assert.True(message.Usage.OutputTokens > 0, "usage.output_tokens should be positive");
    }

    [Fact]
    public async Task Streaming_text_deltas_add_up_to_the_non_streaming_answer()
    {
        var request = Ask("Stream a short note about lanterns");
        var expected = await _client.Messages.Create(request, Ct);

        var kinds = new List<string>();
        var text = new StringBuilder();
        string? stopReason = null;
        long outputTokens = 0;
        long inputTokens = 0;
        await foreach (var streamEvent in _client.Messages.CreateStreaming(request, Ct))
        {
            if (streamEvent.TryPickStart(out var start))
            {
                kinds.Add("message_start");
                inputTokens = start.Message.Usage.InputTokens;
            }
            else if (streamEvent.TryPickContentBlockStart(out _))
            {
                kinds.Add("content_block_start");
            }
            else if (streamEvent.TryPickContentBlockDelta(out var delta))
            {
                kinds.Add("content_block_delta");
                Assert.True(delta.Delta.TryPickText(out var textDelta), "a text answer streams text_delta deltas");
                text.Append(textDelta.Text);
            }
            else if (streamEvent.TryPickContentBlockStop(out _))
            {
                kinds.Add("content_block_stop");
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                kinds.Add("message_delta");
                stopReason = messageDelta.Delta.StopReason?.Raw();
                outputTokens = messageDelta.Usage.OutputTokens;
            }
            else if (streamEvent.TryPickStop(out _))
            {
                kinds.Add("message_stop");
            }
        }

        Assert.Equal("message_start", kinds[0]);
        Assert.Equal("message_stop", kinds[^1]);
        Assert.Contains("content_block_start", kinds);
        Assert.True(kinds.Count(k => k == "content_block_delta") > 1, "a multi-word answer should arrive in more than one delta");
        Assert.Contains("content_block_stop", kinds);
        Assert.Equal("message_delta", kinds[^2]);
        Assert.Equal(TextOf(expected), text.ToString());
        Assert.Equal("end_turn", stopReason);
        Assert.True(outputTokens > 0, "message_delta usage.output_tokens should be positive");
        Assert.Equal(expected.Usage.OutputTokens, outputTokens);
        Assert.Equal(expected.Usage.InputTokens, inputTokens);
    }

    [Fact]
    public async Task The_SDK_stream_aggregator_rebuilds_the_same_message_as_the_non_streaming_call()
    {
        var request = Ask("Aggregate this please");
        var expected = await _client.Messages.Create(request, Ct);

        var aggregator = new MessageContentAggregator();
        await foreach (var _ in aggregator.CollectAsync(_client.Messages.CreateStreaming(request, Ct)).WithCancellation(Ct))
        {
        }

        var aggregated = aggregator.Message();
        Assert.Equal(TextOf(expected), TextOf(aggregated));
        Assert.Equal("end_turn", aggregated.StopReason?.Raw());
        Assert.Equal(expected.Usage.OutputTokens, aggregated.Usage.OutputTokens);
    }

    [Fact]
    public async Task Count_tokens_equals_the_input_tokens_the_message_is_billed_for()
    {
        const string system = "You are a careful assistant for a shipping company.";
        const string prompt = "How many containers fit on a feeder vessel?";
        var message = await _client.Messages.Create(Ask(prompt) with { System = system }, Ct);

        var counted = await _client.Messages.CountTokens(
            new MessageCountTokensParams { Model = Model, System = system, Messages = [new UserMessageParam(prompt)] },
            Ct);

        Assert.True(counted.InputTokens > 0, "count_tokens should count something");
        Assert.Equal(message.Usage.InputTokens, counted.InputTokens);

        var shorter = await _client.Messages.CountTokens(new MessageCountTokensParams { Model = Model, Messages = [new UserMessageParam(prompt)] }, Ct);
        Assert.True(shorter.InputTokens < counted.InputTokens, "dropping the system prompt should count fewer tokens");
    }

    [Fact]
    public async Task The_models_list_contains_the_demo_deployment_and_it_can_be_retrieved()
    {
        var page = await _client.Models.List(new ModelListParams(), Ct);

        var model = Assert.Single(page.Items, m => m.ID == Model);
        Assert.False(string.IsNullOrEmpty(model.DisplayName));
        Assert.True(model.CreatedAt > new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), "created_at should be a real RFC 3339 time");

        var retrieved = await _client.Models.Retrieve(Model, cancellationToken: Ct);
        Assert.Equal(Model, retrieved.ID);
        Assert.Equal(model.CreatedAt, retrieved.CreatedAt);
    }

    [Fact]
    public async Task A_forced_tool_call_round_trips_through_tool_result_to_a_final_answer()
    {
        var ask = Ask("What will the weather be like in Lisbon?") with { Tools = [ForecastTool()], ToolChoice = new ToolChoiceAny() };
        var first = await _client.Messages.Create(ask, Ct);

        Assert.Equal("tool_use", first.StopReason?.Raw());
        var toolUse = Assert.Single(ToolUsesOf(first));
        Assert.Equal("get_forecast", toolUse.Name);
        Assert.StartsWith("toolu_", toolUse.ID, StringComparison.Ordinal);
        AssertForecastInput(toolUse.Input);

        const string result = "Sunny, 21 degrees, wind 3 knots (result #4711)";
        var followUp = new MessageCreateParams
        {
            Model = Model,
            MaxTokens = 1024,
            Tools = [ForecastTool()],
            Messages =
            [
                new UserMessageParam("What will the weather be like in Lisbon?"),
                new AssistantMessageParam(new List<ContentBlockParam> { new ToolUseBlockParam { ID = toolUse.ID, Name = toolUse.Name, Input = toolUse.Input } }),
                new UserMessageParam(new List<ContentBlockParam> { new ToolResultBlockParam(toolUse.ID) { Content = result } }),
            ],
        };
        var second = await _client.Messages.Create(followUp, Ct);

        Assert.Equal("end_turn", second.StopReason?.Raw());
        Assert.Empty(ToolUsesOf(second));
        var text = TextOf(second);
        Assert.Contains("result #4711", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streamed_tool_call_arrives_as_input_json_deltas_that_parse_to_the_same_input()
    {
        var ask = Ask("What will the weather be like in Lisbon?") with { Tools = [ForecastTool()], ToolChoice = new ToolChoiceAny() };
        var expected = Assert.Single(ToolUsesOf(await _client.Messages.Create(ask, Ct)));

        string? toolName = null;
        string? toolId = null;
        var partialJson = new StringBuilder();
        var jsonDeltas = 0;
        string? stopReason = null;
        await foreach (var streamEvent in _client.Messages.CreateStreaming(ask, Ct))
        {
            if (streamEvent.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var block))
            {
                toolName = block.Name;
                toolId = block.ID;
            }
            else if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var json))
            {
                jsonDeltas++;
                partialJson.Append(json.PartialJson);
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                stopReason = messageDelta.Delta.StopReason?.Raw();
            }
        }

        Assert.Equal("get_forecast", toolName);
        Assert.Equal(expected.ID, toolId);
        Assert.True(jsonDeltas >= 1, "the tool input should stream as input_json_delta");
        Assert.Equal("tool_use", stopReason);
        using var input = JsonDocument.Parse(partialJson.ToString());
        AssertForecastInput(input.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()));
        Assert.True(
            JsonElement.DeepEquals(input.RootElement, JsonSerializer.SerializeToElement(expected.Input)),
            $"streamed input {partialJson} differs from the non-streamed input");
    }

    [Fact]
    public async Task Max_tokens_cuts_the_answer_and_says_so()
    {
        var message = await _client.Messages.Create(Ask("Write a long story about copper and rivers", maxTokens: 5), Ct);

        Assert.Equal("max_tokens", message.StopReason?.Raw());
        Assert.InRange(message.Usage.OutputTokens, 1, 5);
    }

    [Fact]
    public async Task A_stop_sequence_from_the_prompt_stops_the_answer_and_is_reported()
    {
        var message = await _client.Messages.Create(
            Ask("Please repeat the word pineapple back to me") with { StopSequences = ["pineapple", "zzz-never-said"] },
            Ct);

        Assert.Equal("stop_sequence", message.StopReason?.Raw());
        Assert.Equal("pineapple", message.StopSequence);
        Assert.DoesNotContain("pineapple", TextOf(message), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_surfaces_as_AnthropicUnauthorizedException_401()
    {
        using var client = NewClient(gateway, GatewayFixture.DemoKey + "-wrong");

        var ex = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => client.Messages.Create(Ask("hi"), Ct));

        AssertApiError(ex, HttpStatusCode.Unauthorized, ErrorType.AuthenticationError);
    }

    [Fact]
    public async Task An_unknown_model_surfaces_as_AnthropicNotFoundException_404()
    {
        var ex = await Assert.ThrowsAsync<AnthropicNotFoundException>(
            () => _client.Messages.Create(Ask("hi") with { Model = "claude-no-such-model" }, Ct));

        AssertApiError(ex, HttpStatusCode.NotFound, ErrorType.NotFoundError);
        Assert.Contains("claude-no-such-model", ex.ApiMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_tokens_zero_surfaces_as_AnthropicBadRequestException_400()
    {
        // The SDK does no client-side validation: max_tokens 0 goes on the wire and the gateway must refuse it.
        var ex = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => _client.Messages.Create(Ask("hi", maxTokens: 0), Ct));

        AssertApiError(ex, HttpStatusCode.BadRequest, ErrorType.InvalidRequestError);
        Assert.Contains("max_tokens", ex.ApiMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_messages_surface_as_AnthropicBadRequestException_400()
    {
        var ex = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => _client.Messages.Create(Ask("hi") with { Messages = [] }, Ct));

        AssertApiError(ex, HttpStatusCode.BadRequest, ErrorType.InvalidRequestError);
        Assert.Contains("messages", ex.ApiMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_tokens_over_the_deployment_limit_surfaces_as_AnthropicBadRequestException_400()
    {
        var ex = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => _client.Messages.Create(Ask("hi", maxTokens: 100_000), Ct));

        AssertApiError(ex, HttpStatusCode.BadRequest, ErrorType.InvalidRequestError);
        Assert.Contains("max_tokens", ex.ApiMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_while_streaming_surface_before_the_stream_starts_with_the_same_exception()
    {
        var ex = await Assert.ThrowsAsync<AnthropicNotFoundException>(async () =>
        {
            await foreach (var _ in _client.Messages.CreateStreaming(Ask("hi") with { Model = "claude-no-such-model" }, Ct))
            {
            }
        });

        AssertApiError(ex, HttpStatusCode.NotFound, ErrorType.NotFoundError);
    }

    [Fact]
    public async Task A_request_over_32_MiB_surfaces_as_AnthropicContentTooLargeException_413()
    {
        // What every SDK does with a huge prompt: one POST with a Content-Length, no Expect: 100-continue.
        var huge = new string('a', 33 * 1024 * 1024);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));

        var ex = await Assert.ThrowsAnyAsync<AnthropicException>(() => _client.Messages.Create(Ask(huge), timeout.Token));

        var tooLarge = ex as AnthropicContentTooLargeException;
        Assert.True(tooLarge is not null, $"expected AnthropicContentTooLargeException (HTTP 413), got {ex.GetType().Name}: {ex.Message} {ex.InnerException?.Message}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("request_too_large", tooLarge.Type?.Raw());
    }

    internal static AnthropicClient NewClient(GatewayFixture gateway, string key) => new(new()
    {
        ApiKey = key,
        BaseUrl = gateway.BaseUrl,
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(60),
    });

    internal static MessageCreateParams Ask(string text, long maxTokens = 1024) => new()
    {
        Model = Model,
        MaxTokens = maxTokens,
        Messages = [new UserMessageParam(text)],
    };

    internal static string TextOf(Message message) =>
        string.Concat(message.Content.Select(block => block.TryPickText(out var text) ? text.Text : string.Empty));

    private static List<ToolUseBlock> ToolUsesOf(Message message) =>
        [.. message.Content.Select(block => block.TryPickToolUse(out var toolUse) ? toolUse : null).OfType<ToolUseBlock>()];

    private static Tool ForecastTool() => new()
    {
        Name = "get_forecast",
        Description = "The weather forecast for a city.",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement>
            {
                ["city"] = JsonSerializer.SerializeToElement(new { type = "string", description = "City name" }),
                ["days"] = JsonSerializer.SerializeToElement(new { type = "integer", minimum = 1, maximum = 7 }),
                ["units"] = JsonSerializer.SerializeToElement(new { type = "string", @enum = new[] { "metric", "imperial" } }),
            },
            Required = ["city", "days"],
        },
    };

    private static void AssertForecastInput(IReadOnlyDictionary<string, JsonElement> input)
    {
        Assert.True(input.TryGetValue("city", out var city), "tool input lacks the required 'city'");
        Assert.Equal(JsonValueKind.String, city.ValueKind);
        Assert.True(input.TryGetValue("days", out var days), "tool input lacks the required 'days'");
        Assert.True(days.TryGetInt32(out var dayCount), "'days' should be an integer");
        Assert.InRange(dayCount, 1, 7);
    }

    private static void AssertApiError(AnthropicApiException ex, HttpStatusCode status, ErrorType type)
    {
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(type, ex.Type?.Value());
        Assert.StartsWith("req_", ex.RequestID, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(ex.ApiMessage), "the exception should carry the gateway's error message");
    }
}
