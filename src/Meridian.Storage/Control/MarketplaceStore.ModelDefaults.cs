using System.Data.Common;
using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Control;

/// <summary>The deployment a resource's callers reach when they send a model id rather than a deployment name.</summary>
public sealed record ModelDefault(string ResourceId, string ModelId, string DeploymentId, string SetBy, DateTimeOffset SetAt);

/// <summary>
/// A model id reaches a deployment only through its resource's default for that model: set when the first deployment of
/// the model is created in the resource, changed only by an explicit, audited <see cref="SetModelDefault"/>, cleared
/// when its deployment is deleted. So adding, changing or deleting a deployment never moves a caller that sends a model
/// id to another hosting option, deployment type or region: such traffic either stays where it went, or is refused
/// with the deployments to choose from.
/// </summary>
public sealed partial class MarketplaceStore
{
    public const string ModelDefaultObjectType = "model_default";

    public IReadOnlyList<ModelDefault> ModelDefaults(string resourceId) => store.Read(connection =>
        connection.Query(null, "SELECT resource_id, model_id, deployment_id, set_by, set_at FROM resource_model_defaults WHERE resource_id = @res ORDER BY model_id",
            ReadModelDefault, ("@res", resourceId)));

    /// <summary>Makes <paramref name="deploymentId"/> — a live deployment of the resource serving the model — the one the model id reaches.</summary>
    public StoreResult<ModelDefault> SetModelDefault(string actor, string resourceId, string modelId, string deploymentId, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindResource(connection, transaction, resourceId) is null)
            {
                return StoreResult<ModelDefault>.NotFound($"No resource '{resourceId}'.");
            }

            if (FindDeployment(connection, transaction, deploymentId) is not { } deployment || deployment.ResourceId != resourceId)
            {
                return StoreResult<ModelDefault>.Invalid(FieldErrors.Of("deployment_id", $"no deployment '{deploymentId}' in resource '{resourceId}'"));
            }

            if (deployment.ModelId != modelId)
            {
                return StoreResult<ModelDefault>.Invalid(FieldErrors.Of("deployment_id", $"deployment '{deployment.Name}' serves '{deployment.ModelId}', not '{modelId}'"));
            }

            if (connection.QuerySingle(transaction,
                    "SELECT id FROM deployments WHERE resource_id = @res AND name = @model AND deleted_at IS NULL",
                    r => r.GetString(0), ("@res", resourceId), ("@model", modelId)) is { } named && named != deploymentId)
            {
                return StoreResult<ModelDefault>.Conflict(
                    $"The deployment named '{modelId}' is what callers sending '{modelId}' reach, by its name; the default cannot point elsewhere while it exists.");
            }

            var before = FindModelDefault(connection, transaction, resourceId, modelId);
            var after = new ModelDefault(resourceId, modelId, deploymentId, actor, now);
            WriteModelDefault(connection, transaction, after);
            AuditLog.Write(connection, transaction, actor, "model_default.set", ModelDefaultObjectType, resourceId + "/" + modelId, before, after, AuditJson.Default.ModelDefault, now);
            return StoreResult<ModelDefault>.Ok(after);
        });

    /// <summary>Clears the default: callers sending the model id are refused until one is set again.</summary>
    public StoreResult<ModelDefault> ClearModelDefault(string actor, string resourceId, string modelId, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindModelDefault(connection, transaction, resourceId, modelId) is not { } before)
            {
                return StoreResult<ModelDefault>.NotFound($"Resource '{resourceId}' has no default deployment for model '{modelId}'.");
            }

            connection.Execute(transaction, "DELETE FROM resource_model_defaults WHERE resource_id = @res AND model_id = @model", ("@res", resourceId), ("@model", modelId));
            AuditLog.Write(connection, transaction, actor, "model_default.clear", ModelDefaultObjectType, resourceId + "/" + modelId, before, null, AuditJson.Default.ModelDefault, now);
            return StoreResult<ModelDefault>.Ok(before);
        });

    /// <summary>
    /// Why a deployment may not take <paramref name="name"/> in its resource, or null. A name is what callers send, and
    /// so is a model id: a deployment named after a model id must serve that model, and only as the first of it in the
    /// resource (so it is that model's default); otherwise the name would take the callers the model id reaches, now or
    /// once the deployment named so is deleted.
    /// </summary>
    private static string? NameCapturesModelCallers(DbConnection connection, DbTransaction transaction, string resourceId, string name, string modelId)
    {
        if (connection.QuerySingle(transaction,
                "SELECT name FROM deployments WHERE resource_id = @res AND model_id = @name AND deleted_at IS NULL LIMIT 1",
                r => r.GetString(0), ("@res", resourceId), ("@name", name)) is { } serving)
        {
            return $"'{name}' is the model id that callers of deployment '{serving}' send; a deployment by that name would take their traffic. Choose another name.";
        }

        return name != modelId && connection.Scalar(transaction, "SELECT COUNT(*) FROM offer_models WHERE model_id = @name", ("@name", name)) > 0
            ? $"'{name}' is a model id: a deployment may take it as its name only if it serves that model (this one serves '{modelId}'). Choose another name."
            : null;
    }

    /// <summary>The first deployment of a model in a resource becomes what the model id reaches; later ones do not.</summary>
    private static void DefaultFirstOfModel(DbConnection connection, DbTransaction transaction, Deployment deployment, string actor, DateTimeOffset now)
    {
        var others = connection.Scalar(transaction,
            "SELECT COUNT(*) FROM deployments WHERE resource_id = @res AND model_id = @model AND deleted_at IS NULL AND id <> @id",
            ("@res", deployment.ResourceId), ("@model", deployment.ModelId), ("@id", deployment.Id));
        if (others > 0 || FindModelDefault(connection, transaction, deployment.ResourceId, deployment.ModelId) is not null)
        {
            return;
        }

        var set = new ModelDefault(deployment.ResourceId, deployment.ModelId, deployment.Id, actor, now);
        WriteModelDefault(connection, transaction, set);
        AuditLog.Write(connection, transaction, actor, "model_default.set", ModelDefaultObjectType, set.ResourceId + "/" + set.ModelId, null, set, AuditJson.Default.ModelDefault, now);
    }

    /// <summary>A deleted deployment stops being any model's default; nothing takes its place by itself.</summary>
    private static void ClearDefaultOf(DbConnection connection, DbTransaction transaction, Deployment deployment, string actor, DateTimeOffset now)
    {
        if (FindModelDefault(connection, transaction, deployment.ResourceId, deployment.ModelId) is { } current && current.DeploymentId == deployment.Id)
        {
            connection.Execute(transaction, "DELETE FROM resource_model_defaults WHERE resource_id = @res AND model_id = @model",
                ("@res", deployment.ResourceId), ("@model", deployment.ModelId));
            AuditLog.Write(connection, transaction, actor, "model_default.clear", ModelDefaultObjectType, current.ResourceId + "/" + current.ModelId, current, null,
                AuditJson.Default.ModelDefault, now);
        }
    }

    private static ModelDefault? FindModelDefault(DbConnection connection, DbTransaction? transaction, string resourceId, string modelId) =>
        connection.QuerySingle(transaction,
            "SELECT resource_id, model_id, deployment_id, set_by, set_at FROM resource_model_defaults WHERE resource_id = @res AND model_id = @model",
            ReadModelDefault, ("@res", resourceId), ("@model", modelId));

    private static void WriteModelDefault(DbConnection connection, DbTransaction transaction, ModelDefault value) =>
        connection.Execute(transaction, """
            INSERT INTO resource_model_defaults (resource_id, model_id, deployment_id, set_by, set_at) VALUES (@res, @model, @dep, @by, @at)
            ON CONFLICT (resource_id, model_id) DO UPDATE SET deployment_id = excluded.deployment_id, set_by = excluded.set_by, set_at = excluded.set_at
            """,
            ("@res", value.ResourceId), ("@model", value.ModelId), ("@dep", value.DeploymentId), ("@by", value.SetBy), ("@at", Time(value.SetAt)));

    private static ModelDefault ReadModelDefault(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), ParseTime(r.GetString(4)));
}
