using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Tests.OpenAi;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Meridian.Gateway.Tests.Operations;

/// <summary>
/// The request's spans, exported through an OpenTelemetry pipeline (the in-memory exporter): the GenAI semantic
/// conventions and Meridian's attributes on the request's span, children for screening, each routing attempt, the
/// upstream call and the record commit, the trace context carried to the HTTP backend — and never a prompt or a key.
/// </summary>
public sealed class TracingTests(RecordingUpstreamGateway gateway) : IClassFixture<RecordingUpstreamGateway>
{
    [Fact]
    public async Task A_streamed_request_leaves_a_genai_span_with_its_stages_as_children_and_its_trace_reaches_the_backend()
    {
        var exported = new List<Activity>();
        // Always on: without ASP.NET Core's instrumentation the server's own (unrecorded) request activity is the parent,
        // and the default parent-based sampler would follow it and drop everything.
        using var tracing = Sdk.CreateTracerProviderBuilder().SetSampler(new AlwaysOnSampler()).AddSource(GatewayOptions.TelemetryName).AddInMemoryExporter(exported).Build();
        var canary = "canary-" + Guid.NewGuid().ToString("N");

        using var http = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl + "/") };
        var body = JsonSerializer.Serialize(new { model = "claude-sonnet-5", max_tokens = 64, stream = true, messages = new[] { new { role = "user", content = $"Say {canary} back." } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", RecordingUpstreamGateway.Key);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("event: message_stop", text, StringComparison.Ordinal);
        var requestId = response.Headers.GetValues("request-id").Single();
        tracing.ForceFlush();

        var chat = Assert.Single(exported, a => a.GetTagItem("meridian.request_id") as string == requestId);
        Assert.Equal("chat claude-sonnet-5", chat.DisplayName);
        Assert.Equal("chat", chat.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("claude-sonnet-5", chat.GetTagItem("gen_ai.request.model"));
        Assert.NotNull(chat.GetTagItem("gen_ai.response.model"));
        Assert.Equal(21L, chat.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(12L, chat.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(["end_turn"], (string[])chat.GetTagItem("gen_ai.response.finish_reasons")!);
        Assert.Equal(GatewayFixture.TenantId, chat.GetTagItem("meridian.tenant.id"));
        foreach (var name in new[] { "meridian.deployment.id", "meridian.hosting_option", "meridian.deployment_type", "meridian.processing_region", "meridian.backend", "meridian.safeguard.verdict" })
        {
            Assert.False(string.IsNullOrEmpty(chat.GetTagItem(name) as string), $"{name} is missing");
        }

        Assert.Equal("admitted", chat.GetTagItem("meridian.quota.outcome"));

        var trace = exported.Where(a => a.TraceId == chat.TraceId).ToList();
        var children = trace.Where(a => a.ParentSpanId == chat.SpanId).Select(a => a.OperationName).ToList();
        Assert.Contains("meridian.screen_input", children);
        var upstream = Assert.Single(trace, a => a.OperationName == "meridian.upstream");
        var attempt = Assert.Single(trace, a => a.OperationName == "meridian.route.attempt");
        Assert.Equal(upstream.SpanId, attempt.ParentSpanId);
        Assert.Equal("ok", attempt.GetTagItem("meridian.route.outcome"));
        Assert.Contains(trace, a => a.OperationName == "meridian.record.commit");

        // W3C trace context reached the HTTP backend, in this trace (its parent is the HTTP client's own span, under the attempt).
        var traceparent = gateway.Upstream.TraceparentOf(canary);
        Assert.NotNull(traceparent);
        Assert.StartsWith($"00-{chat.TraceId.ToHexString()}-", traceparent, StringComparison.Ordinal);

        // Names, ids and counts only: neither the prompt, nor the answer, nor the key is in any span.
        foreach (var activity in trace)
        {
            foreach (var (key, value) in activity.TagObjects)
            {
                var rendered = value is string[] values ? string.Join(',', values) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                Assert.DoesNotContain(canary, rendered, StringComparison.Ordinal);
                Assert.DoesNotContain(RecordingUpstreamGateway.Key, rendered, StringComparison.Ordinal);
                Assert.DoesNotContain("Oslo", rendered, StringComparison.Ordinal);
            }

            Assert.DoesNotContain(canary, activity.DisplayName, StringComparison.Ordinal);
        }
    }
}
