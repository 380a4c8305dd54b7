using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Metering;
using Meridian.Gateway.Safeguards;
using Meridian.Gateway.Snapshot;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Safeguards;
using Meridian.Storage.Control;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// One data-plane request from its first stage to its record: the snapshot it is served from, who called, the body and
/// its parse, the deployment, the input counted once, the quota reservation, the verdicts, the route and one usage
/// meter, and how it ended. Each stage of <see cref="MessagesEndpoint"/> reads what earlier stages set and sets its own
/// part; <see cref="RequestRecordBuilder"/> turns the whole into the request's record. Owns the body, the parsed
/// document and the route: disposing it releases them. One per request; not shared.
/// </summary>
internal sealed class RequestExchange(HttpContext http, GatewaySnapshot snapshot, KeyRecord key, AnswerDialect dialect, string endpoint, long startedAt)
    : IAsyncDisposable
{
    public HttpContext Http { get; } = http;

    /// <summary>The door the request came in by: how its body reads and how its answer and errors are written.</summary>
    public AnswerDialect Dialect { get; } = dialect;

    /// <summary>Cancelled when the client goes away: every stage stops its work then.</summary>
    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>The control-store state the whole request is served from, taken once when it arrived.</summary>
    public GatewaySnapshot Snapshot { get; } = snapshot;

    public KeyRecord Key { get; } = key;

    /// <summary>The API called, as the receipt names it: <c>messages</c>, <c>count_tokens</c> or <c>chat_completions</c>.</summary>
    public string Endpoint { get; } = endpoint;

    public bool IsCountTokens => Endpoint == MessagesEndpoint.CountTokensEndpoint;

    /// <summary>When the request arrived (<see cref="TimeProvider.GetTimestamp"/>), for its duration.</summary>
    public long StartedAt { get; } = startedAt;

    public RequestBody? Body { get; set; }

    public MessagesRequest? Request { get; set; }

    public DeploymentRoute? Deployment { get; set; }

    /// <summary>Where the request came in relative to the deployment's boundary (set once the deployment is known).</summary>
    public Core.Marketplace.IngressDecision Ingress { get; set; }

    /// <summary>The data zone of this node's ingress region.</summary>
    public string? IngressDataZone { get; set; }

    /// <summary>The work counting and screening may do before a backend sees the request (docs/messages-api.md, "Work
    /// budget"); carries <see cref="Aborted"/>, so their loops stop when the client goes away. Set by the counting stage.</summary>
    public WorkBudget? Work { get; set; }

    /// <summary>What admission reserved, settled with the billed usage when the record is built.</summary>
    public QuotaReservation? Reservation { get; set; }

    /// <summary>The input's verdict; null until the input was screened.</summary>
    public InputScreening? Input { get; set; }

    /// <summary>The backend the answer came from, with its route; null until routing began.</summary>
    public RoutedBackend? Routed { get; set; }

    /// <summary>The answer's copy for a possible case (null with retention mode <c>none</c>, or before routing).</summary>
    public ReviewCaptureBackend? Capture { get; set; }

    public OutputScreeningBackend? Output { get; set; }

    /// <summary>The one usage accumulator: the counted input, and what the backend reported and generated.</summary>
    public UsageMeter Usage { get; } = new();

    public bool Streamed { get; set; }

    /// <summary>The HTTP status the client got (200 once a stream's headers went out, whatever followed).</summary>
    public int Status { get; set; } = 500;

    public string? ErrorType { get; set; }

    public bool ClientAborted { get; set; }

    public bool BackendFailed { get; set; }

    /// <summary>Set once the record was built and handed to the writer: a request is recorded exactly once.</summary>
    public bool Recorded { get; set; }

    /// <summary>The request's span, when a tracer listens (<see cref="Operations.GatewayTelemetry"/>); null otherwise.</summary>
    public System.Diagnostics.Activity? Activity { get; set; }

    /// <summary>Why the request was refused rather than risked (ingress_outside_boundary, retention_mode, work_budget), for metrics.</summary>
    public string? FailClosed { get; set; }

    /// <summary>Input and output verdicts together, as far as screened.</summary>
    public Verdict? Verdict => Input is null ? null : Output is null ? Input.Verdict : Input.Verdict.Merge(Output.Verdict);

    /// <summary>Whether screening blocked the request or its answer.</summary>
    public bool BlockedBySafeguard => Verdict?.IsBlocked == true;

    /// <summary>How the answer ended, by the precedence of docs/metering.md: a block, the client leaving, a backend failure, completion.</summary>
    public AnswerEnding Ending =>
        !Usage.Started ? AnswerEnding.NotStarted
        : Output?.Verdict.IsBlocked == true ? AnswerEnding.BlockedOnOutput
        : ClientAborted ? AnswerEnding.ClientAborted
        : BackendFailed || !Usage.Finished ? AnswerEnding.BackendFailed
        : AnswerEnding.Complete;

    public async ValueTask DisposeAsync()
    {
        if (Routed is { } routed)
        {
            await routed.DisposeAsync();
        }

        Capture?.Clear();
        Request?.Dispose();
        Body?.Dispose();
    }
}
