using System.Text.Json.Serialization;
using Meridian.Core.Marketplace;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Safeguards;

/// <summary>The review shapes of <see cref="CaseRecord"/>s and <see cref="AccessEvent"/>s, as the handlers answer them.</summary>
internal static class CaseViews
{
    extension(CaseView)
    {
        public static CaseView Of(CaseRecord c) => new(
            c.Id, c.RequestId, c.CreatedAt, c.Geography, c.TenantId, c.KeyId, c.ResourceId, c.DeploymentId, c.DeploymentName, c.PublisherId,
            c.Policy, c.Verdict, c.Action, CategoriesOf(c), c.Kinds, c.Status,
            c.Decision, c.DecisionAction, c.DecidedAt, c.DecidedBy, SnapshotState(c), c.PurgedAt, CaseReview.Of(c.ReviewedBy), CaseReview.Of(c.Retention))
        {
            DecidedByName = c.DecidedByName,
            Rationale = c.Rationale,
            DecidedContent = c.DecidedContent,
            NotOpenedReason = c.NotOpenedReason,
            Urgent = c.Escalation is not null,
            Escalation = c.Escalation is { } e
                ? new CaseEscalationView(e.At, e.By, e.ByName, e.Reason, [.. e.Notified.Select(p => new CasePersonView(p.Id, p.Name))])
                : null,
        };
    }

    extension(AccessEventView)
    {
        public static AccessEventView Of(AccessEvent e) =>
            new(e.Seq, Storage.Control.ControlStore.FormatTime(e.At), e.Actor, e.CaseId, e.Event, e.ReasonCode, e.Reason, e.PreviousHash, e.Hash)
            {
                ActorName = e.Who?.Name,
                ActorSalt = e.ActorSalt,
            };
    }

    extension(TenantAccessEventView)
    {
        public static TenantAccessEventView Of(AccessEvent e, CaseRecord c) => e.Event == "decision"
            ? new(e.At, e.Event, e.ReasonCode, c.Decision, c.DecisionAction)
            : new(e.At, e.Event, e.ReasonCode, null, null);
    }

    /// <summary><c>held</c>, <c>purged</c> (after the retention period) or <c>not_retained</c> (retention mode <c>none</c>).</summary>
    internal static string SnapshotState(CaseRecord c) => c.HasSnapshot ? "held" : c.Retention == RetentionMode.None ? "not_retained" : "purged";

    internal static IReadOnlyList<CaseCategoryView> CategoriesOf(CaseRecord c) => [.. c.Categories.Select(x => new CaseCategoryView(x.Category, x.Severity))];
}

/// <summary>A case as its tenant sees it; a class of its own, as its <c>Of</c> takes the same record as <see cref="CaseView"/>'s.</summary>
internal static class TenantCaseViews
{
    extension(TenantCaseView)
    {
        public static TenantCaseView Of(CaseRecord c) => new(
            c.Id, c.RequestId, c.CreatedAt, c.Geography, c.KeyId, c.DeploymentId, c.DeploymentName, c.Policy, c.Verdict, c.Action, CaseViews.CategoriesOf(c),
            c.Status, c.Decision, c.DecisionAction, c.DecidedAt, CaseReview.Of(c.ReviewedBy), CaseReview.Of(c.Retention), CaseViews.SnapshotState(c), c.PurgedAt);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    MaxDepth = 32)]
[JsonSerializable(typeof(ListResponse<CaseView>))]
[JsonSerializable(typeof(ListResponse<AccessEventView>))]
[JsonSerializable(typeof(CaseView))]
[JsonSerializable(typeof(OpenCaseRequest))]
[JsonSerializable(typeof(OpenCaseResponse))]
[JsonSerializable(typeof(DecideCaseRequest))]
[JsonSerializable(typeof(EscalateCaseRequest))]
[JsonSerializable(typeof(AccessLogVerificationView))]
[JsonSerializable(typeof(ReceiptCaseView))]
[JsonSerializable(typeof(ListResponse<TenantCaseView>))]
[JsonSerializable(typeof(TenantCaseView))]
[JsonSerializable(typeof(ListResponse<TenantAccessEventView>))]
internal sealed partial class CaseJsonContext : JsonSerializerContext;
