using Meridian.Storage.Sql;

namespace Meridian.Storage.Control;

/// <summary>A Trust &amp; Safety suspension of an API key or a deployment, as its audit record shows it.</summary>
/// <param name="ObjectType"><c>api_key</c> or <c>deployment</c>.</param>
/// <param name="CaseId">The T&amp;S case whose decision suspended it.</param>
public sealed record Suspension(string ObjectType, string ObjectId, string CaseId, DateTimeOffset SuspendedAt);

/// <summary>Suspensions decided in Trust &amp; Safety review; the routing snapshot refuses a suspended key or deployment.</summary>
public sealed partial class MarketplaceStore
{
    /// <summary>Suspends an API key (its next request gets 403). Suspending a suspended key changes nothing.</summary>
    public StoreResult<Suspension> SuspendKey(string actor, string keyId, string caseId, DateTimeOffset now) =>
        Suspend(actor, "api_keys", "api_key", keyId, caseId, now);

    /// <summary>Suspends a deployment (every request to it gets 403). Suspending a suspended deployment changes nothing.</summary>
    public StoreResult<Suspension> SuspendDeployment(string actor, string deploymentId, string caseId, DateTimeOffset now) =>
        Suspend(actor, "deployments", "deployment", deploymentId, caseId, now);

    private StoreResult<Suspension> Suspend(string actor, string table, string objectType, string id, string caseId, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            // table is one of two literals above, never caller input.
            var existing = connection.QuerySingle(transaction, $"SELECT id, suspended_at FROM {table} WHERE id = @id",
                r => new Tuple<string, string?>(r.GetString(0), r.GetStringOrNull(1)), ("@id", id));
            if (existing is null)
            {
                return StoreResult<Suspension>.NotFound($"No {objectType.Replace('_', ' ')} '{id}'.");
            }

            if (existing.Item2 is { } already)
            {
                return StoreResult<Suspension>.Ok(new Suspension(objectType, id, caseId, ParseTime(already)));
            }

            var suspension = new Suspension(objectType, id, caseId, now);
            connection.Execute(transaction, $"UPDATE {table} SET suspended_at = @at WHERE id = @id", ("@id", id), ("@at", Time(now)));
            AuditLog.Write(connection, transaction, actor, objectType.Replace("api_key", "key", StringComparison.Ordinal) + ".suspend", objectType, id,
                null, suspension, AuditJson.Default.Suspension, now);
            return StoreResult<Suspension>.Ok(suspension);
        });
}
