using Meridian.Core.Marketplace;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>A change to a deployment's Trust &amp; Safety settings; a null member stays as it is.</summary>
/// <param name="RetentionExempt">True grants the operator's retention exemption (recording who and when), false revokes it.</param>
public sealed record DeploymentReviewChange(ReviewedBy? ReviewedBy, RetentionMode? Retention, bool? RetentionExempt)
{
    /// <summary>The safeguard policy to screen with, by name (already checked against the node's policies); null keeps it.</summary>
    public string? SafeguardPolicy { get; init; }

    /// <summary>The deployment's own safeguard settings (JSON, already validated), or a change to none; null keeps them.</summary>
    public SafeguardSettingsChange? SafeguardSettings { get; init; }
}

/// <param name="Json">The settings, compact JSON; null removes them.</param>
public sealed record SafeguardSettingsChange(string? Json);

/// <summary>Who reviews a deployment's flagged requests, what is retained of them, and an offer's retention requirement.</summary>
public sealed partial class MarketplaceStore
{
    /// <summary>
    /// Applies the given settings in one transaction. Each setting that actually changes writes its own audit record with
    /// the deployment before and after (<c>deployment.set_reviewed_by</c>, <c>deployment.set_retention_mode</c>,
    /// <c>deployment.grant_retention_exemption</c>, <c>deployment.revoke_retention_exemption</c>), so a switch of who reviews
    /// is found by its action alone; a setting given with its current value changes and records nothing.
    /// </summary>
    public StoreResult<Deployment> UpdateDeploymentReview(string actor, string deploymentId, DeploymentReviewChange change, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindDeployment(connection, transaction, deploymentId) is not { } current)
            {
                return StoreResult<Deployment>.NotFound($"No deployment '{deploymentId}'.");
            }

            if (change.ReviewedBy is { } reviewedBy && reviewedBy != current.ReviewedBy)
            {
                var next = current with { ReviewedBy = reviewedBy };
                connection.Execute(transaction, "UPDATE deployments SET reviewed_by = @value WHERE id = @id",
                    ("@value", CaseReview.Of(reviewedBy)), ("@id", deploymentId));
                AuditLog.Write(connection, transaction, actor, "deployment.set_reviewed_by", "deployment", deploymentId, current, next, AuditJson.Default.Deployment, now);
                current = next;
            }

            if (change.Retention is { } retention && retention != current.Retention)
            {
                var next = current with { Retention = retention };
                connection.Execute(transaction, "UPDATE deployments SET retention_mode = @value WHERE id = @id",
                    ("@value", CaseReview.Of(retention)), ("@id", deploymentId));
                AuditLog.Write(connection, transaction, actor, "deployment.set_retention_mode", "deployment", deploymentId, current, next, AuditJson.Default.Deployment, now);
                current = next;
            }

            if (change.RetentionExempt is { } exempt && exempt != (current.RetentionExemption is not null))
            {
                var next = current with { RetentionExemption = exempt ? new RetentionExemption(actor, now) : null };
                connection.Execute(transaction, "UPDATE deployments SET retention_exempted_by = @by, retention_exempted_at = @at WHERE id = @id",
                    ("@by", next.RetentionExemption?.GrantedBy), ("@at", next.RetentionExemption is { } granted ? Time(granted.GrantedAt) : null), ("@id", deploymentId));
                AuditLog.Write(connection, transaction, actor, exempt ? "deployment.grant_retention_exemption" : "deployment.revoke_retention_exemption",
                    "deployment", deploymentId, current, next, AuditJson.Default.Deployment, now);
                current = next;
            }

            if (change.SafeguardPolicy is { } policy && policy != current.SafeguardPolicy)
            {
                var next = current with { SafeguardPolicy = policy };
                connection.Execute(transaction, "UPDATE deployments SET safeguard_policy = @value WHERE id = @id", ("@value", policy), ("@id", deploymentId));
                AuditLog.Write(connection, transaction, actor, "deployment.set_safeguard_policy", "deployment", deploymentId, current, next, AuditJson.Default.Deployment, now);
                current = next;
            }

            if (change.SafeguardSettings is { } settings && settings.Json != current.SafeguardSettings)
            {
                var next = current with { SafeguardSettings = settings.Json };
                connection.Execute(transaction, "UPDATE deployments SET safeguard_settings = @value WHERE id = @id", ("@value", settings.Json), ("@id", deploymentId));
                AuditLog.Write(connection, transaction, actor, "deployment.set_safeguards", "deployment", deploymentId, current, next, AuditJson.Default.Deployment, now);
                current = next;
            }

            return StoreResult<Deployment>.Ok(current);
        });

    /// <summary>
    /// Sets whether an offer requires flagged content to be retained for its publisher's review (audited as
    /// <c>offer.set_requires_retention</c>; the offer's version moves). Honours <paramref name="ifMatch"/> like a price change.
    /// Part of the terms: new subscribers are bound at once, a tenant subscribed before from the end of
    /// <paramref name="notice"/> or when it accepts the offer's terms again, so its deployments do not start failing unannounced.
    /// </summary>
    public StoreResult<Offer> SetOfferRequiresRetention(string actor, string offerId, bool requiresRetention, long? ifMatch, DateTimeOffset now, TimeSpan notice) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindOffer(connection, transaction, offerId, now) is not { } before)
            {
                return StoreResult<Offer>.NotFound($"No offer '{offerId}'.");
            }

            if (ifMatch is { } expected && expected != before.Version)
            {
                return StoreResult<Offer>.PreconditionFailed(before.Version);
            }

            if (before.RequiresRetention == requiresRetention)
            {
                return StoreResult<Offer>.Ok(before);
            }

            connection.Execute(transaction, "UPDATE offers SET requires_retention = @value, version = version + 1 WHERE id = @id",
                ("@value", requiresRetention ? 1 : 0), ("@id", offerId));
            if (connection.Scalar(transaction, "SELECT COUNT(*) FROM offer_retention WHERE offer_id = @id", ("@id", offerId)) == 0)
            {
                InsertRetentionChange(connection, transaction, offerId, new TermsChange<bool>(before.CreatedAt, before.CreatedAt, before.RequiresRetention), actor);
            }

            InsertRetentionChange(connection, transaction, offerId, new TermsChange<bool>(now, now + notice, requiresRetention), actor);
            var after = FindOffer(connection, transaction, offerId, now)!;
            AuditLog.Write(connection, transaction, actor, "offer.set_requires_retention", "offer", offerId, before, after, AuditJson.Default.Offer, now);
            return StoreResult<Offer>.Ok(after);
        });

    private static void InsertRetentionChange(DbConnection connection, DbTransaction transaction, string offerId, TermsChange<bool> change, string actor) =>
        // Two changes in the same tick: the later one is the requirement from then on.
        connection.Execute(transaction, """
            INSERT INTO offer_retention (offer_id, effective_from, binding_from, requires_retention, recorded_by) VALUES (@offer, @from, @binding, @value, @by)
            ON CONFLICT (offer_id, effective_from) DO UPDATE SET binding_from = excluded.binding_from,
              requires_retention = excluded.requires_retention, recorded_by = excluded.recorded_by
            """,
            ("@offer", offerId), ("@from", Time(change.AnnouncedAt)), ("@binding", Time(change.BindingAt)), ("@value", change.Value ? 1 : 0), ("@by", actor));
}
