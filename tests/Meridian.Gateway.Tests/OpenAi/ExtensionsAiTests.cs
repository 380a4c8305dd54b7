using System.Text;
using Microsoft.Extensions.AI;

namespace Meridian.Gateway.Tests.OpenAi;

/// <summary>
/// <c>Microsoft.Extensions.AI</c>'s <see cref="IChatClient"/> over the OpenAI SDK (<c>Microsoft.Extensions.AI.OpenAI</c>
/// 11.0.0, <c>AsIChatClient</c>), as .NET applications use it, against the gateway: answers, streams, and automatic
/// function invocation looping through a tool call and its result.
/// </summary>
public sealed class ExtensionsAiTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IChatClient Client() => OpenAiClients.Chat(gateway.BaseUrl, GatewayFixture.DemoKey).AsIChatClient();

    [Fact]
    public async Task A_response_has_the_text_a_stop_finish_and_usage()
    {
        using var client = Client();

        var response = await client.GetResponseAsync("Describe a quiet lighthouse", cancellationToken: Ct);

        Assert.Contains("Describe a quiet lighthouse", response.Text, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.StartsWith("chatcmpl-", response.ResponseId, StringComparison.Ordinal);
        Assert.True(response.Usage?.InputTokenCount > 0, "usage.InputTokenCount should be positive");
        Assert.True(response.Usage?.OutputTokenCount > 0, "usage.OutputTokenCount should be positive");
    }

    [Fact]
    public async Task A_streamed_response_adds_up_to_the_same_text()
    {
        using var client = Client();
        var expected = await client.GetResponseAsync("Stream about tides", cancellationToken: Ct);

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in client.GetStreamingResponseAsync("Stream about tides", cancellationToken: Ct))
        {
            text.Append(update.Text);
            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(expected.Text, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task Function_invocation_calls_the_tool_the_model_asked_for_and_the_answer_quotes_its_result()
    {
        var calls = new List<string>();
        var weather = AIFunctionFactory.Create(
            (string city) =>
            {
                calls.Add(city);
                return $"-3 C and snowing in {city}";
            },
            "get_weather",
            "The weather in a city");
        using var client = new ChatClientBuilder(Client()).UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync(
            "Please use get_weather for my trip.", new ChatOptions { Tools = [weather], MaxOutputTokens = 400 }, Ct);

        var city = Assert.Single(calls);

        // MEAI sends a function's result as JSON, so a string result reaches the model in quotes.
        Assert.Contains($"the tool get_weather; it returned: \"\"-3 C and snowing in {city}\"\"", response.Messages[^1].Text, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_weather"));
    }
}
