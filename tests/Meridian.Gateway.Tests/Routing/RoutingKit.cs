using System.Runtime.CompilerServices;
using System.Text;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>How a <see cref="ScriptedBackend"/> answers its next call.</summary>
public enum Answer
{
    Ok,
    Http503,
    Http529,
    Http429,
    Http500,
    ConnectError,
    Http400,
    Empty,
}

/// <summary>
/// An in-memory backend that answers as told, synchronously, and counts its calls: the property test and the unit
/// tests drive the real chooser and failover code with it.
/// </summary>
public sealed class ScriptedBackend(params Answer[] script) : IInferenceBackend
{
    private readonly Queue<Answer> _script = new(script);
    private int _calls;

    /// <summary>What it answers once the script is used up.</summary>
    public Answer Then { get; set; } = Answer.Ok;

    public int Calls => _calls;

    public void Push(Answer answer) => _script.Enqueue(answer);

    public BackendCapabilities Capabilities { get; init; } = BackendCapabilities.Anthropic;

    /// <summary>Why it cannot express a request (null: it can); by default it can express anything, like an Anthropic upstream.</summary>
    public Func<MessagesRequest, string?> Refuses { get; init; } = _ => null;

    public string? Refusal(MessagesRequest request) => Refuses(request);

    public async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var answer = _script.Count > 0 ? _script.Dequeue() : Then;
        switch (answer)
        {
            case Answer.Http503: throw new BackendException(503, ErrorTypes.Api, "unavailable");
            case Answer.Http529: throw new BackendException(529, ErrorTypes.Overloaded, "overloaded");
            case Answer.Http429: throw new BackendException(429, ErrorTypes.RateLimit, "slow down");
            case Answer.Http500: throw new BackendException(500, ErrorTypes.Api, "boom");
            case Answer.Http400: throw new BackendException(400, ErrorTypes.InvalidRequest, "prompt is too long");
            case Answer.ConnectError: throw new HttpRequestException("connection refused");
            case Answer.Empty: yield break;
            default: break;
        }

        await Task.CompletedTask;
        yield return new MessageStartEvent(call.MessageId, call.UpstreamModel, new Usage(1, 0));
        yield return MessageStopEvent.Instance;
    }
}

/// <summary>Builders for backends, deployments and calls of routing tests.</summary>
public static class RoutingKit
{
    public static readonly Region EastUs = new("eastus", "us", "us", "East US");
    public static readonly Region WestUs = new("westus", "us", "us", "West US");
    public static readonly Region Sweden = new("swedencentral", "eu", "eu", "Sweden Central");
    public static readonly Region France = new("francecentral", "eu", "eu", "France Central");

    private static readonly MessagesRequest Request = Parse();

    public static BackendCall Call { get; } = new(Request, "claude-sonnet-5", "msg_test");

    public static RegisteredBackend Backend(string id, Region? region, IInferenceBackend? client = null, string operatedBy = BackendPlacement.Platform, string[]? models = null, int? maxInFlight = null) =>
        new(new BackendPlacement(id, region?.Name ?? "France", operatedBy == BackendPlacement.Platform ? region?.DataZone : BackendCatalog.PublisherZone, operatedBy),
            "scripted", region?.Name ?? "France", client ?? new ScriptedBackend(), models?.ToHashSet(StringComparer.Ordinal))
        {
            MaxInFlight = maxInFlight,
        };

    public static DeploymentRoute Deployment(Region resourceRegion, DeploymentType? type, HostingOption hosting = HostingOption.Platform, string model = "claude-sonnet-5", string publisher = "pub_acme") =>
        new("dep_test", "test", "ten_test", "res_test", publisher, "off_test", model, 1024, hosting, hosting == HostingOption.Publisher ? null : type, resourceRegion);

    internal static BoundaryRouter Router(TimeProvider time, RoutingOptions? options = null, int seed = 7) =>
        new(new BackendChooser(options ?? new RoutingOptions(), time, new Random(seed)), Microsoft.Extensions.Logging.Abstractions.NullLogger<BoundaryRouter>.Instance);

    private static MessagesRequest Parse()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""");
        return MessagesRequestParser.TryParse(body, isCountTokens: false, out var request, out var error)
            ? request
            : throw new InvalidOperationException(error.Message);
    }
}
