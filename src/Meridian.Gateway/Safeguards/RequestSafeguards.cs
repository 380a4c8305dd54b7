using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Core.World;
using Meridian.Gateway.Configuration;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Safeguards;
using Meridian.Safeguards.Policies;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// The data plane's side of safeguards: screens a request's input under its deployment's policy, builds the decorators
/// that screen and capture its answer, and seals the content snapshot of a flagged request's case for the deployment's
/// geography. Holds no per-request state; thread-safe.
/// </summary>
internal sealed partial class RequestSafeguards(
    Screener screener, SafeguardPolicySet policies, CaseKeyRing keys, SafeguardsOptions options, ILogger<RequestSafeguards> logger)
{
    /// <summary>On an answer whose verdict is not a plain <c>allow</c>: the verdict's receipt form (<c>annotate:pii=low</c>).</summary>
    public const string Header = "meridian-safeguards";

    /// <summary>
    /// Screens the input of a request with its deployment's policy, charging <paramref name="work"/> (which throws
    /// <see cref="WorkBudgetExceededException"/> when it runs out). Does not retain or log any text.
    /// </summary>
    public async ValueTask<InputScreening> ScreenInputAsync(
        DeploymentRoute deployment, WorldMap world, MessagesRequest request, WorkBudget? work, CancellationToken cancellationToken)
    {
        var effective = _effective.GetValue(deployment, d => _classifierRegions.WithinBoundary(Compile(d), d, world));
        if (effective.Policy is not { } policy)
        {
            // A deployment naming a policy this node does not know fails closed: nothing unscreened reaches a model.
            Log.PolicyMissing(logger, deployment.DeploymentId, deployment.SafeguardPolicy);
            return new InputScreening(null, [], Verdict.Allow(deployment.SafeguardPolicy),
                ApiError.Internal($"The safeguard policy '{deployment.SafeguardPolicy}' of this deployment is not configured on this gateway, or its settings do not apply here."));
        }

        var verdict = await screener.ScreenInputAsync(request, policy, effective.Extra, work, cancellationToken);
        return new InputScreening(policy, effective.Extra, verdict, verdict.IsBlocked ? SafeguardErrors.InputBlocked(verdict) : null);
    }

    /// <summary>
    /// The policy a deployment screens with — its named policy with its own settings applied — and its blocklist: built
    /// once per deployment per routing snapshot (a changed setting comes with a new snapshot, hence a new route object),
    /// so a request neither reads the database nor parses settings. Null policy: fail closed.
    /// </summary>
    private EffectiveSafeguards Compile(DeploymentRoute deployment)
    {
        if (!policies.TryGet(deployment.SafeguardPolicy, out var policy))
        {
            return new EffectiveSafeguards(null, []);
        }

        if (deployment.SafeguardSettings is not { } json)
        {
            return new EffectiveSafeguards(policy, []);
        }

        // Stored settings were validated when set; settings this node cannot read (written by a newer one) fail closed.
        return DeploymentSafeguards.TryParse(json, out var settings, out _, out _)
            ? new EffectiveSafeguards(settings.Apply(policy), settings.Blocklist is { } blocklist ? [blocklist] : [])
            : new EffectiveSafeguards(null, []);
    }

    private readonly ConditionalWeakTable<DeploymentRoute, EffectiveSafeguards> _effective = new();

    private readonly ClassifierBoundary _classifierRegions = new(screener, options);

    /// <summary>
    /// A deployment's screening: its policy, classifiers of its own, and the remote classifiers (HTTP classifiers, guard
    /// models) inside its boundary, which are sent its content and named on its receipts.
    /// </summary>
    internal sealed record EffectiveSafeguards(SafeguardPolicy? Policy, IReadOnlyList<IClassifier> Extra)
    {
        public IReadOnlyList<DataRecipient> ContentRecipients { get; init; } = [];
    }

    /// <summary>
    /// The remote classifiers that were sent this request's content, as data recipients for its receipt: those inside
    /// the deployment's boundary that the verdict says were asked (one left out by the boundary is never asked).
    /// </summary>
    public IEnumerable<DataRecipient> ClassifierRecipients(DeploymentRoute deployment, Verdict verdict) =>
        _effective.TryGetValue(deployment, out var effective)
            ? effective.ContentRecipients.Where(r => verdict.Classifiers.Contains(r.Party, StringComparer.Ordinal))
            : [];

    /// <summary>
    /// The decorator that screens an answer on the stream under the policy and classifiers its input was screened with
    /// (the deployment's blocklist, and classifiers outside its boundary standing in as unavailable); one per request.
    /// </summary>
    public OutputScreeningBackend ScreenOutput(IInferenceBackend inner, InputScreening input) =>
        new(inner, screener.CreateStreamScreener(input.Policy!, input.Extra));

    /// <summary>
    /// The decorator that keeps a bounded copy of the answer's raw text for a possible case, or null when the deployment's
    /// retention mode is <c>none</c>: then the answer is not even copied in memory, since nothing could ever be stored.
    /// </summary>
    public ReviewCaptureBackend? CaptureForReview(IInferenceBackend inner, DeploymentRoute deployment) =>
        deployment.Retention == RetentionMode.Standard ? new ReviewCaptureBackend(inner, options.MaxSnapshotOutputChars) : null;

    /// <summary>
    /// The case of a flagged request: metadata in clear and, unless the deployment's retention mode is <c>none</c>, a
    /// bounded snapshot sealed for the geography — the request's shape, an excerpt around each finding (the whole body
    /// only when it is at most <see cref="SafeguardsOptions.MaxWholeRequestBytes"/>) and the captured answer. The case
    /// records who reviews it and its retention mode.
    /// </summary>
    public SealedCase SealCase(
        string requestId, DateTimeOffset now, KeyRecord key, DeploymentRoute deployment, Verdict verdict, ReadOnlyMemory<byte> body, MessagesRequest? request,
        ReviewCaptureBackend? answer)
    {
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
            Log.CaseOpenedWithoutContent(logger, record.Id, geography, record.Verdict);
            return new SealedCase(record, null);
        }

        var output = answer?.Text;
        var whole = body.Length <= options.MaxWholeRequestBytes;
        var plaintext = new ArrayBufferWriter<byte>((whole ? body.Length : 0) + (output?.Length ?? 0) * 2 + 4096);
        try
        {
            using (var json = new Utf8JsonWriter(plaintext))
            {
                json.WriteStartObject();
                json.WritePropertyName("request"u8);
                if (whole)
                {
                    json.WriteRawValue(body.Span);
                }
                else
                {
                    json.WriteNullValue();
                }

                WriteShape(json, body.Length, request);
                if (request is not null)
                {
                    WriteExcerpts(json, CaseExcerpts.Build(request, verdict, options.Excerpts));
                }

                json.WriteString("response"u8, output);
                json.WriteBoolean("response_truncated"u8, answer?.Truncated ?? false);
                json.WriteEndObject();
            }

            var content = keys.Seal(geography, record.Id, plaintext.WrittenSpan);
            Log.CaseOpened(logger, record.Id, geography, record.Verdict);
            return new SealedCase(record, content);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsMemory(plaintext.WrittenMemory).Span);
        }
    }

    /// <summary>What the request was, without its text: model, sizes and counts.</summary>
    private static void WriteShape(Utf8JsonWriter json, int bytes, MessagesRequest? request)
    {
        json.WriteStartObject("request_shape"u8);
        json.WriteNumber("bytes"u8, bytes);
        if (request is not null)
        {
            json.WriteString("model"u8, request.Model);
            json.WriteBoolean("stream"u8, request.Stream);
            json.WriteNumber("max_tokens"u8, request.MaxTokens);
            json.WriteNumber("messages"u8, request.Messages.ValueKind == JsonValueKind.Array ? request.Messages.GetArrayLength() : 0);
            json.WriteNumber("tools"u8, request.Tools?.GetArrayLength() ?? 0);
        }

        json.WriteEndObject();
    }

    private static void WriteExcerpts(Utf8JsonWriter json, CaseExcerptSet set)
    {
        json.WriteStartObject("text_chars"u8);
        foreach (var (source, chars) in set.TextChars.OrderBy(t => t.Key))
        {
            json.WriteNumber(SourceName(source), chars);
        }

        json.WriteEndObject();
        json.WriteStartArray("excerpts"u8);
        foreach (var excerpt in set.Excerpts)
        {
            json.WriteStartObject();
            json.WriteString("location"u8, excerpt.Location);
            json.WriteString("source"u8, SourceName(excerpt.Source));
            json.WriteNumber("start"u8, excerpt.Start);
            json.WriteNumber("end"u8, excerpt.End);
            json.WriteNumber("field_chars"u8, excerpt.FieldChars);
            json.WriteStartArray("findings"u8);
            foreach (var finding in excerpt.Findings)
            {
                json.WriteStringValue(finding);
            }

            json.WriteEndArray();
            json.WriteString("text"u8, excerpt.Text);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteBoolean("excerpts_truncated"u8, set.Truncated);
    }

    private static string SourceName(TextSource source) => source switch
    {
        TextSource.System => "system",
        TextSource.User => "user",
        TextSource.Assistant => "assistant",
        TextSource.ToolResult => "tool_result",
        _ => "output",
    };

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
/// The input verdict of a request under its deployment's policy, and why it must not reach a model (blocked, or the
/// policy is missing on this node); <paramref name="Policy"/> is null when the request could not be screened.
/// <paramref name="Extra"/> are the deployment's classifiers beside the policy's, which screen its answer too.
/// </summary>
internal sealed record InputScreening(SafeguardPolicy? Policy, IReadOnlyList<IClassifier> Extra, Verdict Verdict, ApiError? Refusal);
