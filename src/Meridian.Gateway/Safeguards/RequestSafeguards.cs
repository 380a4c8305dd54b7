using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Meridian.Safeguards;
using Meridian.Safeguards.Policies;
using Meridian.Safeguards.Streaming;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// The data plane's side of safeguards: screens a request's input with the deployment's policy, wraps the answer's
/// events in a <see cref="StreamScreener"/>, and when the request ends flagged (or blocked) opens a Trust &amp; Safety case
/// whose content snapshot is sealed for the deployment's geography. Thread-safe; one <see cref="SafeguardSession"/> per request.
/// </summary>
public sealed partial class RequestSafeguards(
    Screener screener, SafeguardPolicySet policies, CaseKeyRing keys, CaseWriter writer, SafeguardsOptions options, TimeProvider time,
    ILogger<RequestSafeguards> logger)
{
    /// <summary>On an answer whose verdict is not a plain <c>allow</c>: the verdict's receipt form (<c>annotate:pii=low</c>).</summary>
    public const string Header = "meridian-safeguards";

    /// <summary>
    /// Screens the input of a request with its deployment's policy. <paramref name="body"/> is the request as received; the
    /// session keeps a reference to it (not a copy) for a possible case snapshot, so it must outlive the session.
    /// </summary>
    public async ValueTask<SafeguardSession> ScreenInputAsync(DeploymentRoute deployment, MessagesRequest request, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(deployment.SafeguardPolicy, out var policy))
        {
            // A deployment naming a policy this node does not know fails closed: nothing unscreened reaches a model.
            Log.PolicyMissing(logger, deployment.DeploymentId, deployment.SafeguardPolicy);
            return new SafeguardSession(this, null, Verdict.Allow(deployment.SafeguardPolicy), body,
                ApiError.Internal($"The safeguard policy '{deployment.SafeguardPolicy}' of this deployment is not configured on this gateway."));
        }

        var verdict = await screener.ScreenInputAsync(request, policy, cancellationToken);
        return new SafeguardSession(this, policy, verdict, body, verdict.IsBlocked ? SafeguardErrors.InputBlocked(verdict) : null)
        {
            // With retention mode none the answer is not even copied in memory: nothing could ever be stored.
            KeepsContent = deployment.Retention == RetentionMode.Standard,
        };
    }

    internal StreamScreener CreateStreamScreener(SafeguardPolicy policy) => screener.CreateStreamScreener(policy);

    internal int MaxSnapshotOutputChars => options.MaxSnapshotOutputChars;

    /// <summary>
    /// Opens a case for a flagged request: metadata in clear and, unless the deployment's retention mode is <c>none</c>,
    /// content sealed for the geography; queued for its store. The case records who reviews it and its retention mode.
    /// </summary>
    internal async ValueTask OpenCaseAsync(string requestId, KeyRecord key, DeploymentRoute deployment, Verdict verdict, ReadOnlyMemory<byte> body, string? output, bool truncated)
    {
        var now = time.GetUtcNow();
        var geography = deployment.StorageGeography;
        var record = new CaseRecord
        {
            Id = NewCaseId(now),
            RequestId = requestId,
            CreatedAt = now,
            Geography = geography,
            TenantId = key.TenantId,
            KeyId = key.KeyId,
            ResourceId = deployment.ResourceId,
            DeploymentId = deployment.DeploymentId,
            DeploymentName = deployment.Name,
            PublisherId = deployment.PublisherId,
            Policy = verdict.Policy,
            Verdict = verdict.Compact,
            Action = SafeguardNames.Name(verdict.Action),
            Categories = [.. verdict.Categories.Select(c => new CaseCategory(SafeguardNames.Name(c.Category), SafeguardNames.Name(c.Severity)))],
            Kinds = verdict.Kinds,
            HasSnapshot = deployment.Retention == RetentionMode.Standard,
            ReviewedBy = deployment.ReviewedBy,
            Retention = deployment.Retention,
        };

        if (!record.HasSnapshot)
        {
            await writer.EnqueueAsync(record, null);
            Log.CaseOpenedWithoutContent(logger, record.Id, geography, record.Verdict);
            return;
        }

        var plaintext = new ArrayBufferWriter<byte>(body.Length + (output?.Length ?? 0) * 2 + 64);
        try
        {
            using (var json = new Utf8JsonWriter(plaintext))
            {
                json.WriteStartObject();
                json.WritePropertyName("request"u8);
                json.WriteRawValue(body.Span);
                json.WriteString("response"u8, output);
                json.WriteBoolean("response_truncated"u8, truncated);
                json.WriteEndObject();
            }

            var sealedSnapshot = keys.Seal(geography, record.Id, plaintext.WrittenSpan);
            await writer.EnqueueAsync(record, sealedSnapshot);
            Log.CaseOpened(logger, record.Id, geography, record.Verdict);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsMemory(plaintext.WrittenMemory).Span);
        }
    }

    private static string NewCaseId(DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[6];
        RandomNumberGenerator.Fill(random);
        return "case_" + now.ToUnixTimeMilliseconds().ToString("x12", System.Globalization.CultureInfo.InvariantCulture) + Convert.ToHexStringLower(random);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1600, Level = LogLevel.Information, Message = "Trust & Safety case {CaseId} opened in geography {Geography} ({Verdict})")]
        public static partial void CaseOpened(ILogger logger, string caseId, string geography, string verdict);

        [LoggerMessage(EventId = 1601, Level = LogLevel.Error, Message = "Deployment {DeploymentId} names safeguard policy {Policy}, which is not configured; its requests fail closed")]
        public static partial void PolicyMissing(ILogger logger, string deploymentId, string policy);

        [LoggerMessage(EventId = 1605, Level = LogLevel.Information, Message = "Trust & Safety case {CaseId} opened in geography {Geography} ({Verdict}); retention mode none, no content kept")]
        public static partial void CaseOpenedWithoutContent(ILogger logger, string caseId, string geography, string verdict);
    }
}

/// <summary>
/// Safeguards for one request: the input verdict, the output screener, and a bounded copy of the answer's text kept
/// in memory only until the request ends — persisted (sealed) only when the request is flagged, dropped otherwise.
/// Not thread-safe; owned by one request.
/// </summary>
public sealed class SafeguardSession
{
    private readonly RequestSafeguards _owner;
    private readonly SafeguardPolicy? _policy;
    private readonly ReadOnlyMemory<byte> _body;
    private StreamScreener? _output;
    private StringBuilder? _captured;
    private bool _truncated;

    internal SafeguardSession(RequestSafeguards owner, SafeguardPolicy? policy, Verdict input, ReadOnlyMemory<byte> body, ApiError? refusal)
    {
        _owner = owner;
        _policy = policy;
        Input = input;
        _body = body;
        Refusal = refusal;
    }

    public Verdict Input { get; }

    /// <summary>Whether the answer's text is copied for a possible snapshot (false with retention mode <c>none</c>).</summary>
    internal bool KeepsContent { get; init; } = true;

    /// <summary>Why the request must not reach a model: the input was blocked, or the policy is missing. Null otherwise.</summary>
    public ApiError? Refusal { get; }

    /// <summary>Input and output together, as far as screened.</summary>
    public Verdict Verdict => _output is null ? Input : Input.Merge(_output.Verdict);

    /// <summary>For the receipt: never text. A request refused for a missing policy was not screened.</summary>
    public string Compact => _policy is null ? "not_screened" : Verdict.Compact;

    /// <summary>Whether screening changed the answer's text (redacted or blocked): the upstream's own bytes may not be sent.</summary>
    public bool OutputAltered => _output?.Altered ?? false;

    /// <summary>The <see cref="RequestSafeguards.Header"/> value for the verdict so far, or null when there is nothing to say.</summary>
    public string? HeaderValue => _policy is not null && Verdict.Action != SafeguardAction.Allow ? Verdict.Compact : null;

    /// <summary>
    /// Screens the answer: returns an enumerator over the screened events (not yet started) that reads the route's
    /// enumerator, whose <see cref="IAsyncEnumerator{T}.Current"/> is the first event. The route keeps owning (and disposes) it.
    /// </summary>
    public IAsyncEnumerator<StreamEvent> Screen(IAsyncEnumerator<StreamEvent> routed, CancellationToken cancellationToken)
    {
        _output = _owner.CreateStreamScreener(_policy ?? throw new InvalidOperationException("A refused request has no answer to screen."));
        return _output.ScreenAsync(Capture(routed, cancellationToken), cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>
    /// Ends the session: opens a case when the request was flagged or blocked (its content sealed), and in every case
    /// drops the copy of the answer. Call once, while the request body is still alive.
    /// </summary>
    public async ValueTask CompleteAsync(string requestId, KeyRecord key, DeploymentRoute deployment)
    {
        try
        {
            if (_policy is not null && Verdict is { RequiresReview: true } verdict)
            {
                await _owner.OpenCaseAsync(requestId, key, deployment, verdict, _body, _captured?.ToString(), _truncated);
            }
        }
        finally
        {
            _captured?.Clear();
            _captured = null;
        }
    }

    private async IAsyncEnumerable<StreamEvent> Capture(IAsyncEnumerator<StreamEvent> routed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The raw text (before redaction, including what a block withheld) is what a reviewer needs to see.
        do
        {
            if (KeepsContent && routed.Current is TextDeltaEvent delta)
            {
                Keep(delta.Text);
            }

            yield return routed.Current;
        }
        while (await routed.MoveNextAsync());
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void Keep(string text)
    {
        _captured ??= new StringBuilder();
        var room = _owner.MaxSnapshotOutputChars - _captured.Length;
        if (text.Length <= room)
        {
            _captured.Append(text);
            return;
        }

        _captured.Append(text, 0, Math.Max(0, room));
        _truncated = true;
    }
}
