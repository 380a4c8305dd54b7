using System.Net;
using System.Text;
using System.Text.Json;
using Meridian.Gateway.Tests.Safeguards;
using Meridian.Safeguards.Classifiers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meridian.Gateway.Tests.DataPlane;

/// <summary>
/// Issue 15, item 1: work stops when the client goes away — while a large pathological body is being screened, and
/// while an answer streams. Observed from the other side of the work, not timed: an external classifier that holds its
/// call open sees it cancelled, and an upstream that holds its stream open sees the gateway hang up.
/// </summary>
public sealed class ClientAbortTests : IAsyncLifetime
{
    private const string HoldMarker = "hold-this-screening-open";

    private readonly TaskCompletionSource _classifierCalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _classifierCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _upstreamCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _service;
    private SafeguardsServer _gateway = null!;
    private int _upstreamCalls;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Long enough that only a hung test reaches it; each wait ends as soon as the other side reports.</summary>
    private static TimeSpan Bound => TimeSpan.FromSeconds(30);

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _service = builder.Build();
        _service.MapPost("/classify", ClassifyAsync);
        _service.MapPost("/v1/messages", StreamAsync);
        await _service.StartAsync(Ct);
        var address = new Uri(_service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");

        _gateway = new SafeguardsServer(options =>
        {
            options.UpstreamUrl = address;
            options.Safeguards.HttpClassifiers.Add(new HttpClassifierOptions
            {
                Name = "holding_service",
                Endpoint = new Uri(address, "classify"),
                Timeout = TimeSpan.FromMinutes(5),
                Region = "eastus", // inside the demo deployment's boundary, so it is asked
            });
        });
        await _gateway.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_client_that_leaves_while_a_large_pathological_body_is_screened_stops_the_screening()
    {
        // The marker that makes the external classifier hold on to its first piece, and 300 kB of text the e-mail scan once
        // found quadratic (1 MB took 4 s): as much as fits the model's context window, which is checked before screening.
        var text = HoldMarker + " " + string.Concat(Enumerable.Repeat("a@", 150_000));
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var sending = SendAsync(text, stream: false, leave.Token);

        var first = await Task.WhenAny(_classifierCalled.Task, sending).WaitAsync(Bound, Ct);
        if (first == sending)
        {
            using var answered = await sending;
            Assert.Fail($"answered before screening held: {(int)answered.StatusCode} {await answered.Content.ReadAsStringAsync(Ct)}");
        }

        await leave.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        await _classifierCancelled.Task.WaitAsync(Bound, Ct);
        Assert.Equal(0, Volatile.Read(ref _upstreamCalls));
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_makes_the_gateway_hang_up_on_the_upstream()
    {
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using (var response = await SendAsync("Tell me a long story.", stream: true, leave.Token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            Assert.StartsWith("event:", await reader.ReadLineAsync(Ct), StringComparison.Ordinal);
            await leave.CancelAsync();
        }

        await _upstreamCancelled.Task.WaitAsync(Bound, Ct);
    }

    private async Task<HttpResponseMessage> SendAsync(string text, bool stream, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new { model = SafeguardsServer.Model, max_tokens = 256, stream, messages = new[] { new { role = "user", content = text } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", SafeguardsServer.DemoKey);
        return await _gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Answers "nothing found" at once, except for the marked text: then it holds the call until it is cancelled.</summary>
    private async Task ClassifyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        if (body.Contains(HoldMarker, StringComparison.Ordinal))
        {
            _classifierCalled.TrySetResult();
            await HoldUntilCancelledAsync(context.RequestAborted, _classifierCancelled);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"categories":[]}""", context.RequestAborted);
    }

    /// <summary>An Anthropic upstream that starts a streamed answer and then holds it open until the gateway hangs up.</summary>
    private async Task StreamAsync(HttpContext context)
    {
        Interlocked.Increment(ref _upstreamCalls);
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_hold\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-5\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
            + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Once upon a time, in a harbour town, \"}}\n\n",
            context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await HoldUntilCancelledAsync(context.RequestAborted, _upstreamCancelled);
    }

    private static async Task HoldUntilCancelledAsync(CancellationToken aborted, TaskCompletionSource cancelled)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, aborted);
        }
        catch (OperationCanceledException)
        {
            cancelled.TrySetResult();
        }
    }
}
