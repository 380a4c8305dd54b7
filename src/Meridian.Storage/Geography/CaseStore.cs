using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Meridian.Core.Marketplace;
using Meridian.Storage.Control;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Geography;

/// <summary>One category a case was flagged for, at its highest severity (snake_case names, as in receipts).</summary>
public readonly record struct CaseCategory(string Category, string Severity);

/// <summary>
/// The metadata of one Trust &amp; Safety case: what was flagged, where, for whom, and what a reviewer decided. It holds no
/// content; the encrypted snapshot and its wrapped key are rows of their own, read only by <see cref="CaseStore.OpenSnapshot"/>.
/// </summary>
public sealed record CaseRecord
{
    public required string Id { get; init; }

    public required string RequestId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required string Geography { get; init; }

    public required string TenantId { get; init; }

    public required string KeyId { get; init; }

    public required string ResourceId { get; init; }

    public required string DeploymentId { get; init; }

    public required string DeploymentName { get; init; }

    public required string PublisherId { get; init; }

    public required string Policy { get; init; }

    /// <summary>The request's verdict in its receipt form (<c>flag:violence=medium</c>).</summary>
    public required string Verdict { get; init; }

    /// <summary>The safeguard action taken on the request: <c>flag</c> or <c>block</c>.</summary>
    public required string Action { get; init; }

    public required IReadOnlyList<CaseCategory> Categories { get; init; }

    /// <summary>Finding kinds as <c>category:kind</c>.</summary>
    public required IReadOnlyList<string> Kinds { get; init; }

    /// <summary><c>open</c> until decided, then <c>decided</c>.</summary>
    public string Status { get; init; } = CaseStore.Open;

    public string? Decision { get; init; }

    public string? DecisionAction { get; init; }

    public DateTimeOffset? DecidedAt { get; init; }

    public string? DecidedBy { get; init; }

    /// <summary>Whether the case's content can still be opened: its data key is held (false once purged, or when none was kept).</summary>
    public bool HasSnapshot { get; init; }

    public DateTimeOffset? PurgedAt { get; init; }

    /// <summary>Whose reviewers review this case: the deployment's setting when the case was opened (a later switch does not move it).</summary>
    public ReviewedBy ReviewedBy { get; init; } = ReviewedBy.Publisher;

    /// <summary>The deployment's retention mode when the case was opened: with <c>none</c> no snapshot was ever stored.</summary>
    public RetentionMode Retention { get; init; } = RetentionMode.Standard;

    /// <summary>The decider's display name when the decision was recorded (null before names were recorded).</summary>
    public string? DecidedByName { get; init; }

    /// <summary>Why the reviewer decided as they did (null only on decisions from before a rationale was required).</summary>
    public string? Rationale { get; init; }

    /// <summary>
    /// How the decider saw the content: <see cref="CaseStore.ContentOpened"/>, <see cref="CaseStore.ContentNotOpened"/>
    /// (with <see cref="NotOpenedReason"/>) or <see cref="CaseStore.ContentUnavailable"/>; null on decisions from before.
    /// </summary>
    public string? DecidedContent { get; init; }

    /// <summary>The decider's recorded reason for deciding without opening the content.</summary>
    public string? NotOpenedReason { get; init; }

    /// <summary>Set when the case was escalated as urgent (an open case only; it then sorts first in the queue).</summary>
    public CaseEscalation? Escalation { get; init; }
}

/// <summary>An urgent escalation of a case: who escalated it, when, why, and who was told.</summary>
/// <param name="Notified">The people whose queue shows the case as urgent from then on (token actor and display name).</param>
public sealed record CaseEscalation(DateTimeOffset At, string By, string ByName, string Reason, IReadOnlyList<CasePerson> Notified);

/// <summary>A person a case record names: the actor id (<c>token:…</c>) and the display name it had then.</summary>
public sealed record CasePerson(string Id, string Name);

/// <summary>One entry of a geography's hash-chained access log: every human view, decision and purge of a case.</summary>
/// <param name="PreviousHash">The <see cref="Hash"/> of the entry before (64 zeros for the first).</param>
/// <param name="Hash">SHA-256 (hex) of the previous hash and this entry's own fields: changing, removing or reordering
/// any earlier entry breaks every hash after it.</param>
public sealed record AccessEvent(long Seq, DateTimeOffset At, string Actor, string CaseId, string Event, string? Reason, string PreviousHash, string Hash)
{
    /// <summary>
    /// Why, from a fixed vocabulary a tenant may see (unlike <see cref="Reason"/>, which is free text for the audit): an
    /// open's reason code, a decision's decision, <c>retention_elapsed</c> for a purge. Null on entries written before it existed.
    /// </summary>
    public string? ReasonCode { get; init; }

    /// <summary>The request whose case this is (null only on entries written before access records were bound to requests).</summary>
    public string? RequestId { get; init; }

    /// <summary>Who, beyond <see cref="Actor"/>: role, display name and organisation (null on entries from before they were recorded).</summary>
    public AccessActor? Who { get; init; }

    /// <summary>
    /// The random salt of the commitment to the actor's id and name that an access record carries instead of them (hex;
    /// null on entries from before): served to the operator and reviewers, never to the tenant.
    /// </summary>
    public string? ActorSalt { get; init; }

    /// <summary>
    /// Where the entry is a leaf of the writing node's receipt log: <see cref="LogPosition.LeafIndex"/> is -1 while the
    /// entry waits for its log's writer (it is durable in the chain already); null for entries from before entries were leaves.
    /// </summary>
    public LogPosition? Leaf { get; init; }
}

/// <summary>
/// Who touched a case, as an access record names them: the actor id of the chain (<c>token:…</c>, <c>system:retention</c>),
/// the role, the display name, and the organisation they act for: <c>operator</c>, <c>publisher:{id}</c> or <c>tenant:{id}</c>.
/// </summary>
public sealed record AccessActor(string Id, string Role, string Name, string Organisation)
{
    /// <summary>The retention purge, run by the node for the operator.</summary>
    public static AccessActor Retention { get; } = new(CaseStore.SystemActor, "system", "retention purge", "operator");
}

/// <summary>The result of re-computing the access log's chain.</summary>
/// <param name="BrokenAt">The first entry whose hash does not match its content and predecessor; null when valid.</param>
public sealed record ChainVerification(bool Valid, long Entries, long? BrokenAt, string? Head);

/// <summary>
/// Trust &amp; Safety cases of one geography, in that geography's own store (the same file as its receipts, so a case never
/// leaves its geography). Snapshots are stored as the caller sealed them (encrypted); this class never sees plaintext.
/// Every open, decision and purge appends to the hash-chained access log in the same transaction as the change.
/// Thread-safe.
/// </summary>
public sealed partial class CaseStore
{
    public const string Open = "open";
    public const string Decided = "decided";
    public const string SystemActor = "system:retention";

    /// <summary>The reason codes of a <c>view</c>: a page of a case list, one case's metadata, one case's access log.</summary>
    public const string ViewedInList = "list";

    public const string ViewedMetadata = "metadata";

    public const string ViewedAccessLog = "access_log";

    /// <summary>The reason code of a purge.</summary>
    public const string RetentionElapsed = "retention_elapsed";

    private static readonly string Genesis = new('0', 64);

    /// <summary>The cases migration, one entry of <see cref="ReceiptStore"/>'s list (the same file).</summary>
    internal const string Schema = """
        CREATE TABLE ts_cases (
            id TEXT PRIMARY KEY,
            request_id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            geography TEXT NOT NULL,
            tenant_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            deployment_id TEXT NOT NULL,
            deployment_name TEXT NOT NULL,
            publisher_id TEXT NOT NULL,
            policy TEXT NOT NULL,
            verdict TEXT NOT NULL,
            action TEXT NOT NULL,
            categories TEXT NOT NULL,
            kinds TEXT NOT NULL,
            status TEXT NOT NULL,
            decision TEXT,
            decision_action TEXT,
            decided_at TEXT,
            decided_by TEXT,
            snapshot BLOB,
            purged_at TEXT
        );
        CREATE INDEX ts_cases_publisher_time ON ts_cases (publisher_id, created_at);
        CREATE INDEX ts_cases_snapshot_time ON ts_cases (created_at) WHERE snapshot IS NOT NULL;
        CREATE TABLE ts_access_log (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            case_id TEXT NOT NULL,
            event TEXT NOT NULL,
            reason TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX ts_access_log_case ON ts_access_log (case_id, seq);
        """;

    /// <summary>
    /// Per-case data keys (issue 17): a case's wrapped key and its sealed snapshot in rows of their own, appended to
    /// <see cref="ReceiptStore"/>'s list. Additive: snapshots sealed before it stay in <c>ts_cases.snapshot</c>, under the
    /// geography's key, readable and purged (by deletion) as before; a binary from before it reads new cases as having no
    /// snapshot, so the compatibility floor stays.
    /// </summary>
    internal const string ContentKeysSchema = """
        CREATE TABLE ts_case_keys (
            case_id TEXT PRIMARY KEY,
            wrapped_key BLOB NOT NULL
        );
        CREATE TABLE ts_case_snapshots (
            case_id TEXT PRIMARY KEY,
            snapshot BLOB NOT NULL
        );
        CREATE INDEX ts_cases_unpurged ON ts_cases (created_at) WHERE purged_at IS NULL AND retention = 'standard';
        """;

    /// <summary>
    /// Access-log entries become access records bound to their request and leaves of the receipt log (issue 16 item 2,
    /// issue 19): who in full (role, display name, organisation), the request id, and the leaf — log id set when the entry
    /// is written (the writing node's log), index and hash when that log's single writer appends it. Appended to
    /// <see cref="ReceiptStore"/>'s list. Additive: entries from before get their request id from their case and stay
    /// chain-only (no leaf); a binary from before writes entries without a log id, which never become leaves, so the
    /// compatibility floor stays (docs/receipts.md says what such entries prove).
    /// </summary>
    internal const string AccessLeavesSchema = """
        ALTER TABLE ts_access_log ADD COLUMN request_id TEXT;
        ALTER TABLE ts_access_log ADD COLUMN actor_role TEXT;
        ALTER TABLE ts_access_log ADD COLUMN actor_name TEXT;
        ALTER TABLE ts_access_log ADD COLUMN organisation TEXT;
        ALTER TABLE ts_access_log ADD COLUMN actor_salt TEXT;
        ALTER TABLE ts_access_log ADD COLUMN log_id TEXT;
        ALTER TABLE ts_access_log ADD COLUMN leaf_index INTEGER;
        ALTER TABLE ts_access_log ADD COLUMN leaf_hash BLOB;
        UPDATE ts_access_log SET request_id = (SELECT c.request_id FROM ts_cases c WHERE c.id = ts_access_log.case_id);
        CREATE UNIQUE INDEX ts_access_log_leaf ON ts_access_log (log_id, leaf_index);
        CREATE INDEX ts_access_log_request ON ts_access_log (request_id, seq);
        CREATE INDEX ts_access_log_unlogged ON ts_access_log (log_id, seq) WHERE leaf_index IS NULL;
        """;

    private const string AccessColumns =
        "seq, at, actor, case_id, event, reason, prev_hash, hash, reason_code, request_id, actor_role, actor_name, organisation, log_id, leaf_index, leaf_hash, actor_salt";

    private const string Columns =
        "id, request_id, created_at, geography, tenant_id, key_id, resource_id, deployment_id, deployment_name, publisher_id, policy, verdict, " +
        "action, categories, kinds, status, decision, decision_action, decided_at, decided_by, " +
        "CASE WHEN snapshot IS NOT NULL OR EXISTS (SELECT 1 FROM ts_case_keys k WHERE k.case_id = ts_cases.id) THEN 1 ELSE 0 END, purged_at, " +
        "reviewed_by, retention, decided_by_name, decision_rationale, decided_content, not_opened_reason, " +
        "escalated_at, escalated_by, escalated_by_name, escalation_reason, escalation_notified";

    private const string InsertColumns =
        "id, request_id, created_at, geography, tenant_id, key_id, resource_id, deployment_id, deployment_name, publisher_id, policy, verdict, " +
        "action, categories, kinds, status, reviewed_by, retention";

    private readonly SqlDatabase _database;

    internal CaseStore(SqlDatabase database)
    {
        _database = database;
    }

    /// <summary>
    /// Inserts cases inside the caller's transaction; idempotent by request id (one case per request). A case's sealed
    /// snapshot and its wrapped data key go into rows of their own (<c>ts_case_snapshots</c>, <c>ts_case_keys</c>), which
    /// are never updated, only deleted by the purge: a decision rewrites the case's metadata row, and a rewritten row
    /// would leave a copy of whatever it held in the file's free pages.
    /// </summary>
    internal static void Insert(DbConnection connection, DbTransaction transaction, IReadOnlyList<SealedCase> cases)
    {
        foreach (var (c, content) in cases)
        {
            var inserted = connection.Execute(transaction, $"""
                INSERT INTO ts_cases ({InsertColumns})
                VALUES (@id, @request, @at, @geo, @tenant, @key, @resource, @deployment, @name, @publisher, @policy, @verdict,
                        @action, @categories, @kinds, @status, @reviewedBy, @retention)
                ON CONFLICT DO NOTHING
                """,
                ("@id", c.Id), ("@request", c.RequestId), ("@at", Time(c.CreatedAt)), ("@geo", c.Geography), ("@tenant", c.TenantId),
                ("@key", c.KeyId), ("@resource", c.ResourceId), ("@deployment", c.DeploymentId), ("@name", c.DeploymentName),
                ("@publisher", c.PublisherId), ("@policy", c.Policy), ("@verdict", c.Verdict), ("@action", c.Action),
                ("@categories", string.Join(';', c.Categories.Select(x => x.Category + "=" + x.Severity))), ("@kinds", string.Join(',', c.Kinds)),
                ("@status", Open), ("@reviewedBy", CaseReview.Of(c.ReviewedBy)), ("@retention", CaseReview.Of(c.Retention)));
            if (inserted == 0 || content is null)
            {
                continue;
            }

            connection.Execute(transaction, "INSERT INTO ts_case_keys (case_id, wrapped_key) VALUES (@id, @key)", ("@id", c.Id), ("@key", content.WrappedKey));
            connection.Execute(transaction, "INSERT INTO ts_case_snapshots (case_id, snapshot) VALUES (@id, @snapshot)", ("@id", c.Id), ("@snapshot", content.Snapshot));
        }
    }

    /// <summary>
    /// Every case's key material as a rotation of the geography's key must reseal it (docs/scale-out.md, "Rotation"):
    /// each case's wrapped data key, and the snapshots sealed before per-case keys directly under the geography's key
    /// (with an empty wrapped key). Purged cases have neither.
    /// </summary>
    public IReadOnlyList<CaseKeyMaterial> KeyMaterial()
    {
        using var connection = _database.Open();
        return
        [
            .. connection.Query(null, "SELECT case_id, wrapped_key FROM ts_case_keys ORDER BY case_id", r => new CaseKeyMaterial(r.GetString(0), [], (byte[])r.GetValue(1))),
            .. connection.Query(null, "SELECT id, snapshot FROM ts_cases WHERE snapshot IS NOT NULL ORDER BY id", r => new CaseKeyMaterial(r.GetString(0), (byte[])r.GetValue(1), [])),
        ];
    }

    /// <summary>
    /// Replaces a case's wrapped key (or its snapshot sealed before per-case keys) with the same content sealed under the
    /// geography's current key, only where it still holds <paramref name="was"/>: a case purged meanwhile stays purged.
    /// </summary>
    public bool Reseal(string caseId, CaseKeyMaterial was, byte[] resealed)
    {
        using var connection = _database.Open();
        return was.WrappedKey.Length > 0
            ? connection.Execute(null, "UPDATE ts_case_keys SET wrapped_key = @new WHERE case_id = @id AND wrapped_key = @old",
                ("@new", resealed), ("@id", caseId), ("@old", was.WrappedKey)) == 1
            : connection.Execute(null, "UPDATE ts_cases SET snapshot = @new WHERE id = @id AND snapshot = @old AND purged_at IS NULL",
                ("@new", resealed), ("@id", caseId), ("@old", was.Snapshot)) == 1;
    }

    public CaseRecord? Find(string id)
    {
        using var connection = _database.Open();
        return connection.QuerySingle(null, $"SELECT {Columns} FROM ts_cases WHERE id = @id", Read, ("@id", id));
    }

    public CaseRecord? FindByRequest(string requestId)
    {
        using var connection = _database.Open();
        return connection.QuerySingle(null, $"SELECT {Columns} FROM ts_cases WHERE request_id = @id", Read, ("@id", requestId));
    }

    public long Count()
    {
        using var connection = _database.Open();
        return connection.Scalar(null, "SELECT COUNT(*) FROM ts_cases");
    }

    /// <summary>
    /// Reads the sealed snapshot of a case and its wrapped data key for a human to see, and records the access (who, when,
    /// why) in the same transaction: no snapshot leaves the store without its access record. Null when the case has no
    /// snapshot (any more) or its key was destroyed. <see cref="CaseContent.WrappedKey"/> is empty for a snapshot sealed
    /// before per-case keys, under the geography's key.
    /// </summary>
    /// <param name="logId">The receipt log the record becomes a leaf of: the writing node's log of this geography.</param>
    public (CaseContent? Content, AccessEvent? Access) OpenSnapshot(string caseId, AccessActor who, string logId, string reasonCode, string reason, DateTimeOffset at) =>
        TransientStoreFailures.Write(_database, (connection, transaction) =>
        {
            var content = connection.QuerySingle(transaction, """
                SELECT s.snapshot, k.wrapped_key FROM ts_case_snapshots s JOIN ts_case_keys k ON k.case_id = s.case_id WHERE s.case_id = @id
                """, r => new CaseContent((byte[])r.GetValue(0), (byte[])r.GetValue(1)), ("@id", caseId));
            if (content is null)
            {
                using var legacy = connection.Command(transaction, "SELECT snapshot FROM ts_cases WHERE id = @id", ("@id", caseId));
                content = legacy.ExecuteScalar() is byte[] snapshot ? new CaseContent(snapshot, []) : null;
            }

            if (content is null)
            {
                return ((default(CaseContent), default(AccessEvent)), false);
            }

            var access = Append(connection, transaction, caseId, who, logId, "open", reasonCode, reason, at);
            return ((content, access), true);
        });

    /// <summary>
    /// Records that a human saw these cases' metadata or access log (event <c>view</c>; the reason code says what: a queue
    /// page, one case, its access log), one entry per case, in one transaction. Nothing of content is involved, but who
    /// looked at which case is what a tenant and an auditor ask, so every view is in the chain like every open.
    /// </summary>
    public void RecordViews(IReadOnlyCollection<string> caseIds, AccessActor who, string logId, string reasonCode, DateTimeOffset at)
    {
        if (caseIds.Count == 0)
        {
            return;
        }

        TransientStoreFailures.Write(_database, (connection, transaction) =>
        {
            foreach (var caseId in caseIds)
            {
                Append(connection, transaction, caseId, who, logId, "view", reasonCode, null, at);
            }

            return (caseIds.Count, true);
        });
    }

    /// <summary>
    /// Records a decision on an open case, with its rationale and how the decider saw the content, and the access event
    /// (whose free-text reason, covered by the chain hash and so by the access record's leaf, carries both). Null when the
    /// case is missing or already decided.
    /// </summary>
    public CaseRecord? Decide(string caseId, CaseDecisionDraft draft, AccessActor who, string logId, DateTimeOffset at) =>
        TransientStoreFailures.Write(_database, (connection, transaction) =>
        {
            ArgumentNullException.ThrowIfNull(draft);
            var changed = connection.Execute(transaction, """
                UPDATE ts_cases SET status = @decided, decision = @decision, decision_action = @action, decided_at = @at, decided_by = @actor,
                    decided_by_name = @name, decision_rationale = @rationale, decided_content = @content, not_opened_reason = @notOpened
                WHERE id = @id AND status = @open
                """, ("@decided", Decided), ("@decision", draft.Decision), ("@action", draft.Action), ("@at", Time(at)), ("@actor", who.Id),
                ("@name", who.Name), ("@rationale", draft.Rationale), ("@content", draft.Content), ("@notOpened", draft.NotOpenedReason),
                ("@id", caseId), ("@open", Open));
            if (changed == 0)
            {
                return (default(CaseRecord), false);
            }

            Append(connection, transaction, caseId, who, logId, "decision", draft.Decision, draft.AccessReason, at);
            return (connection.QuerySingle(transaction, $"SELECT {Columns} FROM ts_cases WHERE id = @id", Read, ("@id", caseId)), true);
        });

    /// <summary>
    /// Records, in the case's access log, the decision that lifts the suspension its decision made (event <c>lift</c>). It is
    /// written before the suspension is lifted in the control store, so no key or deployment returns to service without it.
    /// </summary>
    public AccessEvent RecordLift(string caseId, AccessActor who, string logId, string reasonCode, string reason, DateTimeOffset at) =>
        TransientStoreFailures.Write(_database, (connection, transaction) => (Append(connection, transaction, caseId, who, logId, "lift", reasonCode, reason, at), true));

    /// <summary>
    /// Deletes the content of cases created before <paramref name="createdBefore"/>, keeping their metadata and decision.
    /// In order, each step committed before the next: the wrapped data keys are destroyed (the content is then
    /// unrecoverable from any copy of its ciphertext); the sealed snapshots are deleted; the engine is made to leave no
    /// page of the old bytes behind (<see cref="SqlDatabase.EraseFreedPages"/>, <see cref="SqlDatabase.TruncateLog"/>);
    /// only then is a <c>purge</c> event per case written to the access log (proof of deletion) with the case's
    /// <c>purged_at</c>. Should a step fail, the next run repeats them all (each is idempotent) for every case past
    /// retention without its proof. Returns the ids whose proof was written now.
    /// </summary>
    /// <param name="due">Of the cases created before <paramref name="createdBefore"/>, whether one (deployment id, created
    /// at) is past its deployment's own retention period.</param>
    public IReadOnlyList<string> PurgeSnapshots(DateTimeOffset createdBefore, Func<string, DateTimeOffset, bool> due, string logId, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(due);
        using var connection = _database.Open();
        var candidates = connection.Query(null, """
            SELECT id, deployment_id, created_at FROM ts_cases WHERE purged_at IS NULL AND retention = @standard AND created_at < @before ORDER BY created_at
            """, r => (Id: r.GetString(0), Deployment: r.GetString(1), CreatedAt: ParseTime(r.GetString(2))),
            ("@standard", CaseReview.Of(RetentionMode.Standard)), ("@before", Time(createdBefore)));
        IReadOnlyList<string> ids = [.. candidates.Where(c => due(c.Deployment, c.CreatedAt)).Select(c => c.Id)];
        if (ids.Count == 0)
        {
            return ids;
        }

        using (_database.EraseFreedPages(connection))
        {
            using (var transaction = _database.BeginWrite(connection))
            {
                foreach (var id in ids)
                {
                    connection.Execute(transaction, "DELETE FROM ts_case_keys WHERE case_id = @id", ("@id", id));
                }

                transaction.Commit();
            }

            using (var transaction = _database.BeginWrite(connection))
            {
                foreach (var id in ids)
                {
                    connection.Execute(transaction, "DELETE FROM ts_case_snapshots WHERE case_id = @id", ("@id", id));
                    connection.Execute(transaction, "UPDATE ts_cases SET snapshot = NULL WHERE id = @id AND snapshot IS NOT NULL", ("@id", id));
                }

                transaction.Commit();
            }
        }

        if (!_database.TruncateLog(connection))
        {
            throw new InvalidOperationException(
                $"The write-ahead log of {_database.Location} could not be emptied after deleting case content (readers held it); the purge is retried at its next run.");
        }

        var proven = new List<string>(ids.Count);
        using (var transaction = _database.BeginWrite(connection))
        {
            foreach (var id in ids)
            {
                if (connection.Execute(transaction, "UPDATE ts_cases SET purged_at = @at WHERE id = @id AND purged_at IS NULL", ("@at", Time(at)), ("@id", id)) == 1)
                {
                    Append(connection, transaction, id, AccessActor.Retention, logId, "purge", RetentionElapsed, "retention period elapsed", at);
                    proven.Add(id);
                }
            }

            transaction.Commit();
        }

        return proven;
    }

    /// <summary>The access log, oldest first; one case's entries only when <paramref name="caseId"/> is given.</summary>
    public IReadOnlyList<AccessEvent> AccessLog(string? caseId = null)
    {
        using var connection = _database.Open();
        return connection.Query(null, $"""
            SELECT {AccessColumns} FROM ts_access_log
            WHERE CAST(@case AS TEXT) IS NULL OR case_id = @case ORDER BY seq
            """, ReadAccess, ("@case", caseId));
    }

    /// <summary>The access records of one request (every entry of its case's chain), oldest first.</summary>
    public IReadOnlyList<AccessEvent> AccessForRequest(string requestId)
    {
        using var connection = _database.Open();
        return connection.Query(null, $"SELECT {AccessColumns} FROM ts_access_log WHERE request_id = @request ORDER BY seq", ReadAccess, ("@request", requestId));
    }

    /// <summary>
    /// The access records of event <paramref name="evt"/> of a tenant's requests whose cases were opened in
    /// [<paramref name="from"/>, <paramref name="to"/>), with each case's deployment (for the boundary report).
    /// </summary>
    public IReadOnlyList<(string DeploymentId, AccessEvent Access)> AccessOfTenant(string tenantId, string evt, DateTimeOffset from, DateTimeOffset to)
    {
        using var connection = _database.Open();
        var columns = string.Join(", ", AccessColumns.Split(", ", StringSplitOptions.None).Select(c => "a." + c));
        return connection.Query(null, $"""
            SELECT c.deployment_id, {columns} FROM ts_access_log a JOIN ts_cases c ON c.id = a.case_id
            WHERE c.tenant_id = @tenant AND a.event = @event AND c.created_at >= @from AND c.created_at < @to ORDER BY a.seq
            """, r => (r.GetString(0), ReadAccess(r, 1)), ("@tenant", tenantId), ("@event", evt), ("@from", Time(from)), ("@to", Time(to)));
    }

    /// <summary>Entries written for <paramref name="logId"/> that are not leaves yet, oldest first (for that log's single writer).</summary>
    public IReadOnlyList<AccessEvent> Unlogged(string logId)
    {
        using var connection = _database.Open();
        return connection.Query(null, $"SELECT {AccessColumns} FROM ts_access_log WHERE log_id = @log AND leaf_index IS NULL ORDER BY seq", ReadAccess, ("@log", logId));
    }

    /// <summary>
    /// Makes entries leaves, inside the log writer's batch transaction. An entry that is a leaf already, or of another log,
    /// fails the batch: the writer's view of the log is stale, and it reloads.
    /// </summary>
    internal static void SetLeaves(DbConnection connection, DbTransaction transaction, string logId, IReadOnlyList<AccessLeaf> leaves)
    {
        foreach (var leaf in leaves)
        {
            if (connection.Execute(transaction, """
                UPDATE ts_access_log SET leaf_index = @index, leaf_hash = @hash WHERE seq = @seq AND log_id = @log AND leaf_index IS NULL
                """, ("@index", leaf.Index), ("@hash", leaf.LeafHash), ("@seq", leaf.Seq), ("@log", logId)) != 1)
            {
                throw new InvalidOperationException($"Access-log entry {leaf.Seq} is not waiting to become a leaf of log {logId}: another writer appended it.");
            }
        }
    }

    /// <summary>Recomputes every hash of the access log, in order; the first mismatch is where it was tampered with.</summary>
    public ChainVerification VerifyAccessLog()
    {
        var previous = Genesis;
        long count = 0;
        foreach (var entry in AccessLog())
        {
            count++;
            if (entry.PreviousHash != previous
                || entry.Hash != HashOf(previous, entry.Seq, Time(entry.At), entry.Actor, entry.CaseId, entry.Event, entry.Reason, entry.ReasonCode))
            {
                return new ChainVerification(false, count, entry.Seq, null);
            }

            previous = entry.Hash;
        }

        return new ChainVerification(true, count, null, count == 0 ? null : previous);
    }

    private static AccessEvent Append(
        DbConnection connection, DbTransaction transaction, string caseId, AccessActor who, string logId, string evt, string reasonCode, string? reason, DateTimeOffset at)
    {
        var actor = who.Id;
        // The transaction is a serialized write (SqlDatabase.BeginWrite), so two appends never read the same head.
        var head = connection.QuerySingle(transaction, "SELECT seq, hash FROM ts_access_log ORDER BY seq DESC LIMIT 1",
            r => new Tuple<long, string>(r.GetInt64(0), r.GetString(1)));
        var seq = (head?.Item1 ?? 0) + 1;
        var previous = head?.Item2 ?? Genesis;
        var time = Time(at);
        var hash = HashOf(previous, seq, time, actor, caseId, evt, reason, reasonCode);
        var requestId = connection.QuerySingle(transaction, "SELECT request_id FROM ts_cases WHERE id = @case", r => r.GetString(0), ("@case", caseId));
        // The access record names the person only through a salted commitment, so the tenant whose receipt carries it
        // learns the organisation and role but cannot confirm a guessed reviewer; the operator can reveal the salt.
        var salt = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        connection.Execute(transaction, """
            INSERT INTO ts_access_log (seq, at, actor, case_id, event, reason, prev_hash, hash, reason_code, request_id, actor_role, actor_name, organisation, log_id, actor_salt)
            VALUES (@seq, @at, @actor, @case, @event, @reason, @prev, @hash, @code, @request, @role, @name, @organisation, @log, @salt)
            """,
            ("@seq", seq), ("@at", time), ("@actor", actor), ("@case", caseId), ("@event", evt), ("@reason", reason), ("@prev", previous), ("@hash", hash),
            ("@code", reasonCode), ("@request", requestId), ("@role", who.Role), ("@name", who.Name), ("@organisation", who.Organisation), ("@log", logId),
            ("@salt", salt));
        return new AccessEvent(seq, ParseTime(time), actor, caseId, evt, reason, previous, hash)
        {
            ReasonCode = reasonCode,
            RequestId = requestId,
            Who = who,
            ActorSalt = salt,
            Leaf = new LogPosition(logId, -1, []),
        };
    }

    /// <summary>
    /// Fields are length-prefixed so no two different entries serialize alike. The reason code joins the hashed fields
    /// only when present, so entries written before it existed still verify.
    /// </summary>
    private static string HashOf(string previous, long seq, string at, string actor, string caseId, string evt, string? reason, string? reasonCode)
    {
        var builder = new StringBuilder(previous).Append('|').Append(seq.ToString(CultureInfo.InvariantCulture));
        string[] fields = reasonCode is null ? [at, actor, caseId, evt, reason ?? string.Empty] : [at, actor, caseId, evt, reason ?? string.Empty, reasonCode];
        foreach (var field in fields)
        {
            builder.Append('|').Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    private static string Time(DateTimeOffset time) => ControlStore.FormatTime(time);

    private static DateTimeOffset ParseTime(string text) => ControlStore.ParseTime(text);

    private static AccessEvent ReadAccess(DbDataReader r) => ReadAccess(r, 0);

    /// <summary>An access-log entry from <see cref="AccessColumns"/>, starting at column <paramref name="o"/>.</summary>
    private static AccessEvent ReadAccess(DbDataReader r, int o) =>
        new(r.GetInt64(o), ParseTime(r.GetString(o + 1)), r.GetString(o + 2), r.GetString(o + 3), r.GetString(o + 4), r.GetStringOrNull(o + 5), r.GetString(o + 6), r.GetString(o + 7))
        {
            ReasonCode = r.GetStringOrNull(o + 8),
            RequestId = r.GetStringOrNull(o + 9),
            Who = r.GetStringOrNull(o + 10) is { } role
                ? new AccessActor(r.GetString(o + 2), role, r.GetStringOrNull(o + 11) ?? string.Empty, r.GetStringOrNull(o + 12) ?? string.Empty)
                : null,
            Leaf = r.GetStringOrNull(o + 13) is not { } log ? null
                : r.IsDBNull(o + 14) ? new LogPosition(log, -1, [])
                : new LogPosition(log, r.GetInt64(o + 14), (byte[])r.GetValue(o + 15)),
            ActorSalt = r.GetStringOrNull(o + 16),
        };

    private static CaseRecord Read(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        RequestId = r.GetString(1),
        CreatedAt = ParseTime(r.GetString(2)),
        Geography = r.GetString(3),
        TenantId = r.GetString(4),
        KeyId = r.GetString(5),
        ResourceId = r.GetString(6),
        DeploymentId = r.GetString(7),
        DeploymentName = r.GetString(8),
        PublisherId = r.GetString(9),
        Policy = r.GetString(10),
        Verdict = r.GetString(11),
        Action = r.GetString(12),
        Categories = [.. r.GetString(13).Split(';', StringSplitOptions.RemoveEmptyEntries).Select(ParseCategory)],
        Kinds = r.GetString(14).Split(',', StringSplitOptions.RemoveEmptyEntries),
        Status = r.GetString(15),
        Decision = r.GetStringOrNull(16),
        DecisionAction = r.GetStringOrNull(17),
        DecidedAt = r.GetStringOrNull(18) is { } decided ? ParseTime(decided) : null,
        DecidedBy = r.GetStringOrNull(19),
        HasSnapshot = r.GetInt64(20) != 0,
        PurgedAt = r.GetStringOrNull(21) is { } purged ? ParseTime(purged) : null,
        ReviewedBy = CaseReview.TryParse(r.GetString(22), out ReviewedBy reviewedBy) ? reviewedBy : throw Corrupt("reviewed_by", r.GetString(22)),
        Retention = CaseReview.TryParse(r.GetString(23), out RetentionMode retention) ? retention : throw Corrupt("retention", r.GetString(23)),
        DecidedByName = r.GetStringOrNull(24),
        Rationale = r.GetStringOrNull(25),
        DecidedContent = r.GetStringOrNull(26),
        NotOpenedReason = r.GetStringOrNull(27),
        Escalation = r.GetStringOrNull(28) is { } escalated
            ? new CaseEscalation(ParseTime(escalated), r.GetString(29), r.GetString(30), r.GetString(31), ParsePeople(r.GetString(32)))
            : null,
    };

    private static InvalidOperationException Corrupt(string what, string value) => new($"The case store holds an invalid {what}: '{value}'.");

    private static CaseCategory ParseCategory(string text) =>
        text.IndexOf('=', StringComparison.Ordinal) is var i and > 0 ? new CaseCategory(text[..i], text[(i + 1)..]) : new CaseCategory(text, "unknown");
}

/// <summary>What a case's content hangs on: its wrapped data key, or (sealed before per-case keys) its snapshot itself.</summary>
public sealed record CaseKeyMaterial(string CaseId, byte[] Snapshot, byte[] WrappedKey);
