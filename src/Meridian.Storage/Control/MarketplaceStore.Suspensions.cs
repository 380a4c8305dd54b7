using Meridian.Core.Marketplace;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>What a Trust &amp; Safety decision suspends: the scope, the object the case names, the case and whose decision it is.</summary>
public sealed record SuspensionDraft(SuspensionScope Scope, string SubjectId, string CaseId, ReviewedBy Party);

/// <summary>Which suspensions a list shows: standing or lifted ones (or both), of one tenant, of one case.</summary>
public sealed record SuspensionFilter(bool? Standing = null, string? TenantId = null, string? CaseId = null);

/// <summary>
/// Trust &amp; Safety suspensions (docs/safeguards.md, "Suspensions"): each decision is a record of its own, covering an
/// identity (<see cref="SuspensionIndex"/>) until a lifting decision is recorded on it. Nothing the tenant can do —
/// rotating, creating keys, deleting and recreating deployments — changes what a standing suspension covers.
/// </summary>
public sealed partial class MarketplaceStore
{
    private const string SuspensionColumns = """
        id, scope, subject_id, tenant_id, resource_id, deployment_name, case_id, party, suspended_by, suspended_at,
        lifted_by, lifted_at, lift_reason_code, lift_reason
        """;

    /// <summary>
    /// Records a suspension. A deployment is suspended by its name in its resource, so one already deleted (a tenant quick
    /// to delete it before the decision) is suspended all the same: a deployment recreated under that name inherits it.
    /// </summary>
    public StoreResult<Suspension> Suspend(string actor, SuspensionDraft draft, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            var id = StoreIds.New("sus_", now);
            var suspension = draft.Scope switch
            {
                SuspensionScope.Key => FindKey(connection, transaction, draft.SubjectId) is { } key
                    ? new Suspension(id, draft.Scope, key.Id, key.TenantId, key.ResourceId, draft.CaseId, draft.Party, actor, now) { KeyLineages = [key.LineageId] }
                    : null,
                SuspensionScope.Deployment => connection.QuerySingle(transaction,
                    "SELECT tenant_id, resource_id, name FROM deployments WHERE id = @id",
                    r => new Suspension(id, draft.Scope, draft.SubjectId, r.GetString(0), r.GetString(1), draft.CaseId, draft.Party, actor, now)
                    {
                        DeploymentName = r.GetString(2),
                    },
                    ("@id", draft.SubjectId)),
                SuspensionScope.Resource => FindResource(connection, transaction, draft.SubjectId) is { } resource
                    ? new Suspension(id, draft.Scope, resource.Id, resource.TenantId, resource.Id, draft.CaseId, draft.Party, actor, now)
                    : null,
                _ => FindTenant(connection, transaction, draft.SubjectId) is { } tenant
                    ? new Suspension(id, draft.Scope, tenant.Id, tenant.Id, null, draft.CaseId, draft.Party, actor, now)
                    : null,
            };
            if (suspension is null)
            {
                return StoreResult<Suspension>.NotFound($"No {ObjectTypeOf(draft.Scope).Replace('_', ' ')} '{draft.SubjectId}'.");
            }

            connection.Execute(transaction, """
                INSERT INTO suspensions (id, scope, subject_id, tenant_id, resource_id, deployment_name, case_id, party, suspended_by, suspended_at)
                VALUES (@id, @scope, @subject, @tenant, @resource, @name, @case, @party, @by, @at)
                """,
                ("@id", suspension.Id), ("@scope", Suspension.Of(suspension.Scope)), ("@subject", suspension.SubjectId), ("@tenant", suspension.TenantId),
                ("@resource", suspension.ResourceId), ("@name", suspension.DeploymentName), ("@case", suspension.CaseId),
                ("@party", CaseReview.Of(suspension.Party)), ("@by", actor), ("@at", Time(now)));
            foreach (var lineage in suspension.KeyLineages)
            {
                CoverLineage(connection, transaction, suspension.Id, lineage);
            }

            AuditLog.Write(connection, transaction, actor, AuditActionOf(suspension.Scope, "suspend"), ObjectTypeOf(suspension.Scope), suspension.SubjectId,
                null, suspension, AuditJson.Default.Suspension, now);
            return StoreResult<Suspension>.Created(suspension);
        });

    /// <summary>
    /// Records the decision that lifts a standing suspension; the reason is the caller's to require. Lifting a lifted
    /// suspension is a conflict: a lift is a decision, recorded once.
    /// </summary>
    public StoreResult<Suspension> LiftSuspension(string actor, string id, string reasonCode, string reason, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindSuspension(connection, transaction, id) is not { } before)
            {
                return StoreResult<Suspension>.NotFound($"No suspension '{id}'.");
            }

            if (before.Lift is { } earlier)
            {
                return StoreResult<Suspension>.Conflict($"Suspension '{id}' was already lifted at {earlier.LiftedAt:O}.");
            }

            var after = before with { Lift = new SuspensionLift(actor, now, reasonCode, reason) };
            connection.Execute(transaction, """
                UPDATE suspensions SET lifted_by = @by, lifted_at = @at, lift_reason_code = @code, lift_reason = @reason WHERE id = @id
                """, ("@id", id), ("@by", actor), ("@at", Time(now)), ("@code", reasonCode), ("@reason", reason));
            AuditLog.Write(connection, transaction, actor, AuditActionOf(before.Scope, "lift_suspension"), ObjectTypeOf(before.Scope), before.SubjectId,
                before, after, AuditJson.Default.Suspension, now);
            return StoreResult<Suspension>.Ok(after);
        });

    public Suspension? FindSuspension(string id) => store.Read(connection => FindSuspension(connection, null, id));

    /// <summary>Suspensions newest first (ids sort by creation), paged by id.</summary>
    public Page<Suspension> Suspensions(SuspensionFilter filter, PageRequest page) => store.Read(connection =>
    {
        var rows = connection.Query(null, $"""
            SELECT {SuspensionColumns} FROM suspensions
            WHERE (CAST(@before AS TEXT) IS NULL OR id < @before)
              AND (CAST(@standing AS TEXT) IS NULL OR (@standing = 'standing' AND lifted_at IS NULL) OR (@standing = 'lifted' AND lifted_at IS NOT NULL))
              AND (CAST(@tenant AS TEXT) IS NULL OR tenant_id = @tenant)
              AND (CAST(@case AS TEXT) IS NULL OR case_id = @case)
            ORDER BY id DESC LIMIT @limit
            """, ReadSuspension,
            ("@before", page.After), ("@standing", filter.Standing switch { true => "standing", false => "lifted", null => null }),
            ("@tenant", filter.TenantId), ("@case", filter.CaseId), ("@limit", page.Limit + 1));
        return ToPage(WithLineages(connection, null, rows), page.Limit, s => s.Id);
    });

    /// <summary>Every standing suspension, indexed by what it covers.</summary>
    public Task<SuspensionIndex> StandingSuspensionsAsync(CancellationToken cancellationToken) => store.ReadAsync(async connection =>
    {
        var standing = await connection.QueryAsync(null, StandingSelect, ReadSuspension, cancellationToken);
        return new SuspensionIndex(standing.Any(s => s.Scope == SuspensionScope.Key)
            ? WithLineages(standing, await connection.QueryAsync(null, LineageSelect, ReadLineage, cancellationToken))
            : standing);
    }, cancellationToken);

    internal static SuspensionIndex LoadStandingSuspensions(DbConnection connection, DbTransaction? transaction) =>
        new(WithLineages(connection, transaction, connection.Query(transaction, StandingSelect, ReadSuspension)));

    private const string StandingSelect = $"SELECT {SuspensionColumns} FROM suspensions WHERE lifted_at IS NULL";

    /// <summary>
    /// A key created in a resource becomes a successor of every key suspended there while the suspension stands (a key
    /// made to replace a suspended one is refused like it); its rotations inherit through the lineage.
    /// </summary>
    private static void InheritKeySuspensions(DbConnection connection, DbTransaction transaction, string resourceId, string lineageId) =>
        connection.Execute(transaction, """
            INSERT INTO suspension_key_lineages (suspension_id, lineage_id)
            SELECT id, @lineage FROM suspensions WHERE scope = 'key' AND resource_id = @res AND lifted_at IS NULL
            """, ("@lineage", lineageId), ("@res", resourceId));

    private static void CoverLineage(DbConnection connection, DbTransaction transaction, string suspensionId, string lineageId) =>
        connection.Execute(transaction, "INSERT INTO suspension_key_lineages (suspension_id, lineage_id) VALUES (@id, @lineage)",
            ("@id", suspensionId), ("@lineage", lineageId));

    private static Suspension? FindSuspension(DbConnection connection, DbTransaction? transaction, string id) =>
        connection.QuerySingle(transaction, $"SELECT {SuspensionColumns} FROM suspensions WHERE id = @id", ReadSuspension, ("@id", id)) is { } found
            ? WithLineages(connection, transaction, [found])[0]
            : null;

    private static List<Suspension> WithLineages(DbConnection connection, DbTransaction? transaction, List<Suspension> suspensions)
    {
        if (!suspensions.Any(s => s.Scope == SuspensionScope.Key))
        {
            return suspensions;
        }

        // One read of the (few) lineage rows rather than one per suspension; suspensions are rare human decisions.
        return WithLineages(suspensions, connection.Query(transaction, LineageSelect, ReadLineage));
    }

    private const string LineageSelect = "SELECT suspension_id, lineage_id FROM suspension_key_lineages ORDER BY lineage_id";

    private static (string Suspension, string Lineage) ReadLineage(DbDataReader r) => (r.GetString(0), r.GetString(1));

    private static List<Suspension> WithLineages(List<Suspension> suspensions, List<(string Suspension, string Lineage)> rows)
    {
        var lineages = rows.ToLookup(p => p.Suspension, p => p.Lineage, StringComparer.Ordinal);
        return [.. suspensions.Select(s => s.Scope == SuspensionScope.Key ? s with { KeyLineages = [.. lineages[s.Id]] } : s)];
    }

    private static Suspension ReadSuspension(DbDataReader r)
    {
        var scope = Suspension.TryParse(r.GetString(1), out var parsed) ? parsed : throw Corrupt("suspension scope", r.GetString(1));
        var party = CaseReview.TryParse(r.GetString(7), out ReviewedBy reviewedBy) ? reviewedBy : throw Corrupt("suspension party", r.GetString(7));
        return new Suspension(r.GetString(0), scope, r.GetString(2), r.GetString(3), r.GetStringOrNull(4), r.GetString(6), party, r.GetString(8), ParseTime(r.GetString(9)))
        {
            DeploymentName = r.GetStringOrNull(5),
            Lift = r.GetStringOrNull(10) is { } liftedBy
                ? new SuspensionLift(liftedBy, ParseTime(r.GetString(11)), r.GetString(12), r.GetString(13))
                : null,
        };
    }

    /// <summary>The audit object type of what a suspension names, as the rest of the audit log spells it.</summary>
    private static string ObjectTypeOf(SuspensionScope scope) => scope == SuspensionScope.Key ? "api_key" : Suspension.Of(scope);

    private static string AuditActionOf(SuspensionScope scope, string verb) => $"{Suspension.Of(scope)}.{verb}";
}
