using System.Text;
using System.Text.Json;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Meridian.Safeguards;
using Meridian.Safeguards.Policies;

namespace Meridian.Testing;

/// <summary>What one fuzz input did to its target.</summary>
internal enum FuzzOutcome
{
    /// <summary>Answered, or refused with one of the target's documented errors, within the work budget.</summary>
    Passed,

    /// <summary>Needed more work than the gateway allows a body of its size: a path that is not linear.</summary>
    OverBudget,

    /// <summary>Threw something other than the target's documented errors.</summary>
    Crashed,
}

/// <summary>The outcome, the work measured (<see cref="WorkBudget"/> units), the budget of the body the target read and its size, and for a failure what went wrong.</summary>
internal sealed record FuzzResult(FuzzOutcome Outcome, long Work, long Budget, int BodyBytes, string? Detail = null);

/// <summary>
/// The fuzz targets of issue 15 (item 7): the request parser with token counting, the input and output screeners, and
/// the SSE reader with the stream screener. Each takes arbitrary bytes and must either answer or refuse with its
/// documented error type (an <c>ApiError</c> from the parser; <see cref="JsonException"/> from the SSE event parser),
/// within the work budget the gateway gives a body of that size, measured in machine-independent work units.
/// Shared by the fuzzer (fuzz/Meridian.Fuzz, <c>./build.sh fuzz</c>) and the replay of its regression corpus
/// (tests/data/fuzz/&lt;target&gt;/, <c>FuzzRegressionTests</c>), so a finding is checked the way it was found.
/// </summary>
internal static class FuzzTargets
{
    public const string Request = "request";
    public const string Screener = "screener";
    public const string Sse = "sse";

    public static IReadOnlyList<string> Names { get; } = [Request, Screener, Sse];

    /// <summary>The gateway's default budget for a body of <paramref name="bytes"/> (GatewayOptions.WorkUnitsPerByte, MinWorkUnits).</summary>
    public static long BudgetFor(int bytes) => Math.Max(1_000_000, 512L * bytes);

    private static readonly Screener DefaultScreener = Meridian.Safeguards.Screener.CreateDefault();

    public static async Task<FuzzResult> RunAsync(string target, byte[] input, CancellationToken cancellationToken)
    {
        var meter = new Meter(cancellationToken);
        try
        {
            switch (target)
            {
                case Request:
                    ParseAndCount(input, meter.Start(input.Length));
                    break;
                case Screener:
                    await ScreenAsync(input, meter, cancellationToken);
                    break;
                case Sse:
                    await ReadStreamAsync(input, meter.Start(input.Length), cancellationToken);
                    break;
                default:
                    throw new ArgumentException($"unknown fuzz target '{target}'; known: {string.Join(", ", Names)}", nameof(target));
            }

            return meter.Result(FuzzOutcome.Passed);
        }
        catch (WorkBudgetExceededException)
        {
            return meter.Result(FuzzOutcome.OverBudget, $"over the work budget of {meter.Budget?.Limit} units for {input.Length} bytes");
        }
        catch (JsonException) when (target == Sse)
        {
            // The SSE event parser's documented refusal of an event that is not what it claims (the backend turns it into 502).
            return meter.Result(FuzzOutcome.Passed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return meter.Result(FuzzOutcome.Crashed, ex.ToString());
        }
    }

    /// <summary>Parses the bytes as a Messages body (the first byte's low bit picks count_tokens) and counts what parsed.</summary>
    private static void ParseAndCount(byte[] input, WorkBudget budget)
    {
        var isCountTokens = input.Length > 0 && (input[0] & 1) == 1;
        budget.Charge(input.Length);
        if (MessagesRequestParser.TryParse(input, isCountTokens, out var request, out var error))
        {
            using (request)
            {
                TokenCounter.CountInput(request, budget);
            }
        }
        else if (error.Status is < 400 or >= 500)
        {
            throw new InvalidOperationException($"the parser refused with status {error.Status}: {error.Message}");
        }
    }

    /// <summary>
    /// Screens the bytes' text in each place a request can carry it — a user message, the system prompt, a tool
    /// description and a tool result — and as an answer (the output table, with redaction).
    /// </summary>
    private static async Task ScreenAsync(byte[] input, Meter meter, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(input);
        var quoted = JsonSerializer.Serialize(text);
        var json = $$$"""
            {"model":"m","max_tokens":10,"system":{{{quoted}}},
             "tools":[{"name":"t","description":{{{quoted}}},"input_schema":{"type":"object"}}],
             "messages":[
              {"role":"user","content":{{{quoted}}}},
              {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"t","input":{"q":{{{quoted}}}}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":{{{quoted}}}}]}
            ]}
            """;
        var body = Encoding.UTF8.GetBytes(json);
        var budget = meter.Start(body.Length);
        if (!MessagesRequestParser.TryParse(body, isCountTokens: false, out var request, out var error))
        {
            throw new InvalidOperationException("a request built around the text did not parse: " + error.Message);
        }

        using (request)
        {
            await DefaultScreener.ScreenInputAsync(request, SafeguardPolicy.Default, budget, cancellationToken);
        }

        await DefaultScreener.ScreenTextAsync(text, TextSource.Output, SafeguardPolicy.Default, cancellationToken);
    }

    /// <summary>Reads the bytes as a backend's event stream, folds the events into a message and screens them as an answer.</summary>
    private static async Task ReadStreamAsync(byte[] input, WorkBudget budget, CancellationToken cancellationToken)
    {
        budget.Charge(input.Length);
        using var stream = new MemoryStream(input, writable: false);
        var events = SseReader.ReadAsync(stream, StreamEventParser.Parse, cancellationToken);
        var screener = DefaultScreener.CreateStreamScreener(SafeguardPolicy.Default);
        var aggregate = new MessageAggregate();
        await foreach (var streamEvent in screener.ScreenAsync(events, cancellationToken))
        {
            budget.Charge(1);
            aggregate.Apply(streamEvent);
        }
    }

    /// <summary>The budget of the body a target builds, started once its size is known, and what was spent of it.</summary>
    private sealed class Meter(CancellationToken cancellationToken)
    {
        public WorkBudget? Budget { get; private set; }

        private int _bodyBytes;

        public WorkBudget Start(int bodyBytes)
        {
            _bodyBytes = bodyBytes;
            return Budget = new WorkBudget(BudgetFor(bodyBytes), cancellationToken);
        }

        public FuzzResult Result(FuzzOutcome outcome, string? detail = null) =>
            new(outcome, Budget?.Spent ?? 0, Budget?.Limit ?? 0, _bodyBytes, detail);
    }
}
