using Meridian.Core.Access;
using Meridian.Core.Validation;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>
/// Admin tokens, stored only as keyed hashes like API keys. Looked up by hash on each admin request (the control
/// plane is not the hot path, and a revocation must count at once). Thread-safe.
/// </summary>
public sealed class AdminTokenStore(ControlStore store)
{
    public const string BootstrapActor = "system:bootstrap";

    /// <summary>Who creates and updates a person's row: the sign-in itself, from the operator's mapping.</summary>
    public const string SignInActor = "system:sign-in";

    private const string Columns = "id, name, prefix, role, tenant_id, publisher_id, geographies, created_by, created_at, revoked_at, subject";

    /// <summary>The live token with this hash, or null (for start-up; the admin API's filter awaits <see cref="FindLiveAsync"/>).</summary>
    public AdminToken? FindLive(string hash) => store.Read(connection => connection.QuerySingle(null, LiveSelect, Read, ("@hash", hash)));

    /// <summary>The live token with this hash, or null.</summary>
    public Task<AdminToken?> FindLiveAsync(string hash, CancellationToken cancellationToken) => store.ReadAsync(connection =>
        connection.QuerySingleAsync(null, LiveSelect, Read, cancellationToken, ("@hash", hash)), cancellationToken);

    private const string LiveSelect = $"SELECT {Columns} FROM admin_tokens WHERE hash = @hash AND revoked_at IS NULL";

    public AdminToken? Find(string id) => store.Read(connection => Find(connection, null, id));

    /// <summary>The person whose unexpired sign-in session has this hash, unless the person's row was revoked; or null.</summary>
    public Task<AdminToken?> FindSessionAsync(string hash, DateTimeOffset now, CancellationToken cancellationToken) => store.ReadAsync(connection =>
        connection.QuerySingleAsync(null, $"""
            SELECT {Prefixed("t.")} FROM admin_sessions s JOIN admin_tokens t ON t.id = s.token_id
            WHERE s.hash = @hash AND s.expires_at > @now AND t.revoked_at IS NULL
            """, Read, cancellationToken, ("@hash", hash), ("@now", ControlStore.FormatTime(now))), cancellationToken);

    /// <summary>
    /// Signs a person in: creates their row on the first sign-in, brings its name, role and scope in line with the
    /// operator's mapping (audited as <c>token.update</c>), and adds a session with <paramref name="sessionHash"/>
    /// until <paramref name="expiresAt"/>. A person whose row was revoked stays refused (409). Expired sessions are
    /// removed on the way.
    /// </summary>
    public StoreResult<AdminToken> SignIn(string subject, ValidToken person, string sessionHash, DateTimeOffset expiresAt, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            var errors = new FieldErrors();
            if (person.TenantId is { } tenant && connection.Scalar(transaction, "SELECT COUNT(*) FROM tenants WHERE id = @id", ("@id", tenant)) == 0)
            {
                errors.Add("tenant_id", $"the sign-in mapping names tenant '{tenant}', which does not exist");
            }

            if (person.PublisherId is { } publisher && connection.Scalar(transaction, "SELECT COUNT(*) FROM publishers WHERE id = @id", ("@id", publisher)) == 0)
            {
                errors.Add("publisher_id", $"the sign-in mapping names publisher '{publisher}', which does not exist");
            }

            if (!errors.IsEmpty)
            {
                return StoreResult<AdminToken>.Invalid(errors);
            }

            var before = connection.QuerySingle(transaction, $"SELECT {Columns} FROM admin_tokens WHERE subject = @subject", Read, ("@subject", subject));
            if (before?.RevokedAt is { } revokedAt)
            {
                return StoreResult<AdminToken>.Conflict(
                    $"The operator revoked this person's access ({before.Actor}, {ControlStore.FormatTime(revokedAt)}); signing in again does not restore it.");
            }

            AdminToken token;
            if (before is null)
            {
                var id = StoreIds.New("tok_", now);
                token = Insert(connection, transaction, SignInActor, person, new NewSecret("subject:" + id, "oidc"), now, id, subject);
                AuditLog.Write(connection, transaction, SignInActor, "token.create", "admin_token", token.Id, null, token, AuditJson.Default.AdminToken, now);
            }
            else
            {
                token = before with
                {
                    Name = person.Name, Role = person.Role, TenantId = person.TenantId, PublisherId = person.PublisherId, Geographies = person.Geographies,
                };
                if (token.Name != before.Name || token.Role != before.Role || token.TenantId != before.TenantId || token.PublisherId != before.PublisherId
                    || !token.Geographies.SequenceEqual(before.Geographies, StringComparer.Ordinal))
                {
                    connection.Execute(transaction, """
                        UPDATE admin_tokens SET name = @name, role = @role, tenant_id = @tenant, publisher_id = @pub, geographies = @geo WHERE id = @id
                        """,
                        ("@id", token.Id), ("@name", token.Name), ("@role", AdminRoles.Of(token.Role)), ("@tenant", token.TenantId),
                        ("@pub", token.PublisherId), ("@geo", string.Join(',', token.Geographies)));
                    AuditLog.Write(connection, transaction, SignInActor, "token.update", "admin_token", token.Id, before, token, AuditJson.Default.AdminToken, now);
                }
            }

            connection.Execute(transaction, "DELETE FROM admin_sessions WHERE expires_at <= @now", ("@now", ControlStore.FormatTime(now)));
            connection.Execute(transaction, "INSERT INTO admin_sessions (hash, token_id, created_at, expires_at) VALUES (@hash, @id, @at, @until)",
                ("@hash", sessionHash), ("@id", token.Id), ("@at", ControlStore.FormatTime(now)), ("@until", ControlStore.FormatTime(expiresAt)));
            AuditLog.Write(connection, transaction, token.Actor, "token.sign_in", "admin_token", token.Id, null, token, AuditJson.Default.AdminToken, now);
            return StoreResult<AdminToken>.Ok(token);
        });

    /// <summary>Ends the session with this hash (signing out); true when there was one.</summary>
    public bool EndSession(string hash) => store.Mutate((connection, transaction) =>
        connection.Execute(transaction, "DELETE FROM admin_sessions WHERE hash = @hash", ("@hash", hash)) > 0);

    /// <summary>The display name of each actor (<c>token:tok_…</c>) whose token exists, keyed by the actor.</summary>
    public IReadOnlyDictionary<string, string> NamesOf(IEnumerable<string?> actors)
    {
        var ids = actors.OfType<string>().Where(a => a.StartsWith(AdminCaller.ActorOf(string.Empty), StringComparison.Ordinal))
            .Select(a => a[AdminCaller.ActorOf(string.Empty).Length..]).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        var parameters = ids.Select((id, i) => ("@t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), (object?)id)).ToArray();
        return store.Read(connection => connection.Query(null,
                $"SELECT id, name FROM admin_tokens WHERE id IN ({string.Join(", ", parameters.Select(p => p.Item1))})",
                r => (Actor: AdminCaller.ActorOf(r.GetString(0)), Name: r.GetString(1)), parameters))
            .ToDictionary(n => n.Actor, n => n.Name, StringComparer.Ordinal);
    }

    /// <param name="onlyTenant">Only this tenant's tokens (a tenant admin's view), or null for all.</param>
    public Page<AdminToken> List(string? onlyTenant, PageRequest page) => store.Read(connection =>
    {
        var rows = connection.Query(null, $"""
            SELECT {Columns} FROM admin_tokens WHERE id > @after AND (CAST(@tenant AS TEXT) IS NULL OR tenant_id = @tenant) ORDER BY id LIMIT @limit
            """, Read, ("@after", page.After ?? string.Empty), ("@tenant", onlyTenant), ("@limit", page.Limit + 1));
        return rows.Count > page.Limit ? new Page<AdminToken>(rows[..page.Limit], rows[page.Limit - 1].Id) : new Page<AdminToken>(rows, null);
    });

    /// <summary>True when some live operator-admin token exists: then a start need not create one.</summary>
    public bool HasLiveOperatorToken() => store.Read(connection =>
        connection.Scalar(null, "SELECT COUNT(*) FROM admin_tokens WHERE role = 'operator-admin' AND revoked_at IS NULL") > 0);

    /// <summary>
    /// Makes sure an operator-admin token with this hash exists and is live (the fixed token of
    /// <c>--admin-token</c>). Returns true when it was added.
    /// </summary>
    public bool EnsureOperatorToken(NewSecret secret, string name, DateTimeOffset now) =>
        store.Mutate((connection, transaction) =>
        {
            if (connection.Scalar(transaction, "SELECT COUNT(*) FROM admin_tokens WHERE hash = @hash AND revoked_at IS NULL", ("@hash", secret.Hash)) > 0)
            {
                return false;
            }

            // A fixed token revoked earlier stays revoked in the records; its hash is freed for a new row.
            connection.Execute(transaction, "UPDATE admin_tokens SET hash = 'revoked:' || id WHERE hash = @hash", ("@hash", secret.Hash));
            var token = Insert(connection, transaction, BootstrapActor, new ValidToken(AdminRole.OperatorAdmin, name, null, null, []), secret, now);
            AuditLog.Write(connection, transaction, BootstrapActor, "token.create", "admin_token", token.Id, null, token, AuditJson.Default.AdminToken, now);
            return true;
        });

    public StoreResult<AdminToken> Create(string actor, ValidToken token, NewSecret secret, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            var errors = new FieldErrors();
            if (token.TenantId is { } tenant && connection.Scalar(transaction, "SELECT COUNT(*) FROM tenants WHERE id = @id", ("@id", tenant)) == 0)
            {
                errors.Add("tenant_id", $"no tenant '{tenant}' exists");
            }

            if (token.PublisherId is { } publisher && connection.Scalar(transaction, "SELECT COUNT(*) FROM publishers WHERE id = @id", ("@id", publisher)) == 0)
            {
                errors.Add("publisher_id", $"no publisher '{publisher}' exists");
            }

            if (!errors.IsEmpty)
            {
                return StoreResult<AdminToken>.Invalid(errors);
            }

            var created = Insert(connection, transaction, actor, token, secret, now);
            AuditLog.Write(connection, transaction, actor, "token.create", "admin_token", created.Id, null, created, AuditJson.Default.AdminToken, now);
            return StoreResult<AdminToken>.Created(created);
        });

    public StoreResult<AdminToken> Revoke(string actor, string id, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (Find(connection, transaction, id) is not { } before)
            {
                return StoreResult<AdminToken>.NotFound($"No admin token '{id}'.");
            }

            if (before.RevokedAt is not null)
            {
                return StoreResult<AdminToken>.Ok(before);
            }

            if (before.Role == AdminRole.OperatorAdmin
                && connection.Scalar(transaction, "SELECT COUNT(*) FROM admin_tokens WHERE role = 'operator-admin' AND revoked_at IS NULL") <= 1)
            {
                return StoreResult<AdminToken>.Conflict("This is the last live operator-admin token; create another before revoking it, or nobody could administer the marketplace.");
            }

            var after = before with { RevokedAt = now };
            connection.Execute(transaction, "UPDATE admin_tokens SET revoked_at = @at WHERE id = @id", ("@id", id), ("@at", ControlStore.FormatTime(now)));
            AuditLog.Write(connection, transaction, actor, "token.revoke", "admin_token", id, before, after, AuditJson.Default.AdminToken, now);
            return StoreResult<AdminToken>.Ok(after);
        });

    private static AdminToken Insert(
        DbConnection connection, DbTransaction transaction, string actor, ValidToken token, NewSecret secret, DateTimeOffset now, string? id = null, string? subject = null)
    {
        var created = new AdminToken(
            id ?? StoreIds.New("tok_", now), token.Name, secret.Prefix, token.Role, token.TenantId, token.PublisherId, token.Geographies, actor, now, null, subject);
        connection.Execute(transaction, """
            INSERT INTO admin_tokens (id, name, hash, prefix, role, tenant_id, publisher_id, geographies, created_by, created_at, subject)
            VALUES (@id, @name, @hash, @prefix, @role, @tenant, @pub, @geo, @by, @at, @subject)
            """,
            ("@id", created.Id), ("@name", created.Name), ("@hash", secret.Hash), ("@prefix", secret.Prefix), ("@role", AdminRoles.Of(token.Role)),
            ("@tenant", token.TenantId), ("@pub", token.PublisherId), ("@geo", string.Join(',', token.Geographies)), ("@by", actor),
            ("@at", ControlStore.FormatTime(now)), ("@subject", subject));
        return created;
    }

    private static AdminToken? Find(DbConnection connection, DbTransaction? transaction, string id) =>
        connection.QuerySingle(transaction, $"SELECT {Columns} FROM admin_tokens WHERE id = @id", Read, ("@id", id));

    private static AdminToken Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2),
        AdminRoles.TryParse(r.GetString(3), out var role) ? role : throw new InvalidOperationException($"The control store holds an unknown role '{r.GetString(3)}'."),
        r.GetStringOrNull(4), r.GetStringOrNull(5),
        r.GetString(6).Split(',', StringSplitOptions.RemoveEmptyEntries),
        r.GetString(7), ControlStore.ParseTime(r.GetString(8)), r.GetStringOrNull(9) is { } revoked ? ControlStore.ParseTime(revoked) : null,
        r.GetStringOrNull(10));

    private static string Prefixed(string alias) => string.Join(", ", Columns.Split(", ").Select(column => alias + column));
}
