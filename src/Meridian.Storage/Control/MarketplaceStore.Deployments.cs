using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

public sealed partial class MarketplaceStore
{
    private const string DeploymentSelect = """
        SELECT d.id, d.resource_id, d.tenant_id, d.name, d.offer_id, d.model_id, d.hosting_option, d.deployment_type,
               d.capacity_rpm, d.capacity_tpm, d.safeguard_policy, d.data_may_leave_acknowledged_by, d.data_may_leave_acknowledged_at,
               d.created_by, d.created_at, g.name, g.data_zone, g.geography, g.display_name,
               d.reviewed_by, d.retention_mode, d.retention_exempted_by, d.retention_exempted_at, d.allowed_ingress, d.safeguard_settings
        FROM deployments d JOIN resources r ON r.id = d.resource_id JOIN regions g ON g.name = r.region
        """;

    /// <summary>The live (not deleted) deployments of a resource.</summary>
    public Page<Deployment> Deployments(string resourceId, PageRequest page) => store.Read(connection =>
        ToPage(connection.Query(null, DeploymentSelect + " WHERE d.resource_id = @res AND d.deleted_at IS NULL AND d.id > @after ORDER BY d.id LIMIT @limit",
            ReadDeployment, ("@res", resourceId), ("@after", page.After ?? string.Empty), ("@limit", page.Limit + 1)), page.Limit, d => d.Id));

    /// <summary>A live deployment; a deleted one is gone.</summary>
    public Deployment? FindDeployment(string id) => store.Read(connection => FindDeployment(connection, null, id));

    /// <summary>
    /// Creates a deployment after checking <see cref="DeploymentRules"/> against the offer, the tenant's subscription
    /// and the resource's region as they are inside this transaction, so a terms version published a moment ago is
    /// already required. A publisher-hosted deployment records who acknowledged that data may leave, and when.
    /// </summary>
    /// <param name="safeguardPolicies">The policy names this gateway knows (built-in and configured).</param>
    public StoreResult<Deployment> CreateDeployment(
        string actor, string resourceId, DeploymentDraft draft, DateTimeOffset now, IReadOnlyCollection<string>? safeguardPolicies = null) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindResource(connection, transaction, resourceId) is not { } resource)
            {
                return StoreResult<Deployment>.NotFound($"No resource '{resourceId}'.");
            }

            var offer = string.IsNullOrEmpty(draft.OfferId) ? null : FindOffer(connection, transaction, draft.OfferId, now);
            var subscription = offer is null ? null : FindSubscription(connection, transaction, resource.TenantId, offer.Id);
            var decision = DeploymentRules.Validate(draft, offer, subscription, resource.Region, safeguardPolicies);
            switch (decision.Verdict)
            {
                case DeploymentVerdict.Invalid:
                    return StoreResult<Deployment>.Invalid(decision.Errors);
                case DeploymentVerdict.TermsNotAccepted:
                    return StoreResult<Deployment>.TermsNotAccepted(decision.Message!);
                default:
                    break;
            }

            var valid = decision.Deployment!;
            if (NameCapturesModelCallers(connection, transaction, resource.Id, valid.Name, valid.ModelId) is { } captured)
            {
                return StoreResult<Deployment>.Conflict(captured, FieldErrors.Of("name", "is the model id another deployment's callers send"));
            }

            var deployment = new Deployment(
                StoreIds.New("dep_", now), resource.Id, resource.TenantId, valid.Name, valid.OfferId, valid.ModelId, valid.Hosting, valid.Type,
                valid.Capacity, valid.SafeguardPolicy,
                valid.DataMayLeaveGeographyAcknowledged ? new DataLeaveAcknowledgment(actor, now) : null,
                resource.Region, actor, now)
            {
                ReviewedBy = valid.ReviewedBy,
                Retention = valid.Retention,
            };
            connection.Execute(transaction, """
                INSERT INTO deployments (id, resource_id, tenant_id, name, offer_id, model_id, hosting_option, deployment_type,
                                         capacity_rpm, capacity_tpm, safeguard_policy, data_may_leave_acknowledged_by, data_may_leave_acknowledged_at,
                                         created_by, created_at, reviewed_by, retention_mode)
                VALUES (@id, @res, @tenant, @name, @offer, @model, @hosting, @type, @rpm, @tpm, @policy, @ackBy, @ackAt, @by, @at, @reviewedBy, @retention)
                """,
                ("@id", deployment.Id), ("@res", resource.Id), ("@tenant", resource.TenantId), ("@name", deployment.Name), ("@offer", deployment.OfferId),
                ("@model", deployment.ModelId), ("@hosting", WireNames.Of(deployment.Hosting)), ("@type", deployment.Type is { } t ? WireNames.Of(t) : null),
                ("@rpm", deployment.Capacity.Rpm), ("@tpm", deployment.Capacity.Tpm), ("@policy", deployment.SafeguardPolicy),
                ("@ackBy", deployment.DataLeaveAcknowledgment?.AcknowledgedBy),
                ("@ackAt", deployment.DataLeaveAcknowledgment is { } ack ? Time(ack.AcknowledgedAt) : null),
                ("@by", actor), ("@at", Time(now)), ("@reviewedBy", CaseReview.Of(deployment.ReviewedBy)), ("@retention", CaseReview.Of(deployment.Retention)));
            AuditLog.Write(connection, transaction, actor, "deployment.create", "deployment", deployment.Id, null, deployment, AuditJson.Default.Deployment, now);
            DefaultFirstOfModel(connection, transaction, deployment, actor, now);
            return StoreResult<Deployment>.Created(deployment);
        });

    /// <summary>Deletes a deployment: it stops being callable, its name is free again, and its row stays for the records.</summary>
    public StoreResult<Deployment> DeleteDeployment(string actor, string deploymentId, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindDeployment(connection, transaction, deploymentId) is not { } deployment)
            {
                return StoreResult<Deployment>.NotFound($"No deployment '{deploymentId}'.");
            }

            connection.Execute(transaction, "UPDATE deployments SET deleted_at = @at WHERE id = @id", ("@id", deploymentId), ("@at", Time(now)));
            AuditLog.Write(connection, transaction, actor, "deployment.delete", "deployment", deploymentId, deployment, null, AuditJson.Default.Deployment, now);
            ClearDefaultOf(connection, transaction, deployment, actor, now);
            return StoreResult<Deployment>.Ok(deployment);
        });

    /// <summary>
    /// Sets the regions outside a platform-hosted DataZone or Regional deployment's boundary from which its requests may
    /// come in (an operator's decision, audited; empty allows none). Each must be a region of the world and outside the
    /// boundary: one inside needs no allowance.
    /// </summary>
    public StoreResult<Deployment> SetAllowedIngress(string actor, string deploymentId, IReadOnlyList<string> regions, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindDeployment(connection, transaction, deploymentId) is not { } deployment)
            {
                return StoreResult<Deployment>.NotFound($"No deployment '{deploymentId}'.");
            }

            var world = LoadWorld(connection, transaction);
            var errors = new FieldErrors();
            if (deployment.Hosting == HostingOption.Publisher || deployment.Type == DeploymentType.Global)
            {
                errors.Add("allowed_regions", "only a platform-hosted DataZone or Regional deployment restricts where its requests come in");
            }

            var route = new DeploymentRoute(deployment.Id, deployment.Name, deployment.TenantId, deployment.ResourceId, string.Empty, deployment.OfferId,
                deployment.ModelId, 0, deployment.Hosting, deployment.Type, deployment.ResourceRegion);
            foreach (var name in regions)
            {
                if (!world.TryGetRegion(name, out var region))
                {
                    errors.Add("allowed_regions", $"'{name}' is not a region of this world");
                }
                else if (Boundary.Ingress(route, region.Name, region.DataZone) == IngressDecision.Inside)
                {
                    errors.Add("allowed_regions", $"'{name}' is inside the deployment's boundary already");
                }
            }

            if (!errors.IsEmpty)
            {
                return StoreResult<Deployment>.Invalid(errors);
            }

            var after = deployment with { AllowedIngress = [.. regions.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)] };
            connection.Execute(transaction, "UPDATE deployments SET allowed_ingress = @ingress WHERE id = @id",
                ("@id", deploymentId), ("@ingress", after.AllowedIngress.Count == 0 ? null : string.Join(',', after.AllowedIngress)));
            AuditLog.Write(connection, transaction, actor, "deployment.ingress", "deployment", deploymentId, deployment, after, AuditJson.Default.Deployment, now);
            return StoreResult<Deployment>.Ok(after);
        });

    private static Deployment? FindDeployment(DbConnection connection, DbTransaction? transaction, string id) =>
        connection.QuerySingle(transaction, DeploymentSelect + " WHERE d.id = @id AND d.deleted_at IS NULL", ReadDeployment, ("@id", id));

    private static Deployment ReadDeployment(DbDataReader r)
    {
        var hosting = WireNames.TryParseHosting(r.GetString(6), out var h) ? h : throw Corrupt("hosting option", r.GetString(6));
        DeploymentType? type = r.GetStringOrNull(7) is { } text ? WireNames.TryParseType(text, out var t) ? t : throw Corrupt("deployment type", text) : null;
        var acknowledgment = r.GetStringOrNull(11) is { } by ? new DataLeaveAcknowledgment(by, ParseTime(r.GetString(12))) : null;
        return new Deployment(
            r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), hosting, type,
            new Capacity(r.GetInt32(8), r.GetInt32(9)), r.GetString(10), acknowledgment, ReadRegion(r, 15), r.GetString(13), ParseTime(r.GetString(14)))
        {
            ReviewedBy = CaseReview.TryParse(r.GetString(19), out ReviewedBy reviewedBy) ? reviewedBy : throw Corrupt("reviewed_by", r.GetString(19)),
            Retention = CaseReview.TryParse(r.GetString(20), out RetentionMode retention) ? retention : throw Corrupt("retention mode", r.GetString(20)),
            RetentionExemption = r.GetStringOrNull(21) is { } grantedBy ? new RetentionExemption(grantedBy, ParseTime(r.GetString(22))) : null,
            AllowedIngress = r.GetStringOrNull(23) is { } ingress ? ingress.Split(',', StringSplitOptions.RemoveEmptyEntries) : [],
            SafeguardSettings = r.GetStringOrNull(24),
        };
    }
}
