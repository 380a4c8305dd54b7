using System.Globalization;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>
/// The control store: the operator's world, the marketplace and the keys. Every mutation bumps a generation
/// counter, which gateway nodes poll to rebuild their in-memory routing snapshot. Thread-safe; disposing it closes the
/// connection pool of a PostgreSQL store.
/// </summary>
public sealed class ControlStore : IDisposable
{
    private readonly SqlDatabase _database;

    /// <summary>The embedded control store: one SQLite file.</summary>
    public ControlStore(string path)
        : this(new SqliteDatabase(path))
    {
    }

    /// <summary>The control store in <paramref name="database"/>, migrated to the current schema.</summary>
    public ControlStore(SqlDatabase database)
    {
        _database = database;
        MigrationsApplied = _database.Migrate(ControlSchema.Migrations, ControlSchema.OldestCompatible);
    }

    public SqlDatabase Database => _database;

    /// <summary>How many schema migrations opening this store applied (0 when it was up to date).</summary>
    public int MigrationsApplied { get; }

    /// <summary>The schema's migrations, in order (for <c>migrate --dry-run</c>).</summary>
    public static IReadOnlyList<string> SchemaMigrations => ControlSchema.Migrations;

    /// <summary>Closes the connection pool of a server-backed store; the embedded store has nothing to close.</summary>
    public void Dispose() => (_database as IDisposable)?.Dispose();

    /// <summary>Where the control data rests (a file path or a PostgreSQL schema), for messages.</summary>
    public string Location => _database.Location;

    /// <summary>
    /// Raised after every mutation committed through this instance, on the committing thread, once the change is
    /// visible to every reader. Gateway nodes relay it to their peers so they reload at once instead of at their
    /// next poll (docs/scale-out.md). Handlers must be quick and must not throw.
    /// </summary>
    public event Action? Committed;

    public long Generation()
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM generation WHERE id = 1";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction and bumps the generation, so nothing half-done is ever visible;
    /// run again whole when a transient store failure stops it before the commit (<see cref="TransientStoreFailures.Write{T}"/>).
    /// </summary>
    public T Mutate<T>(Func<DbConnection, DbTransaction, T> work)
    {
        var result = TransientStoreFailures.Write(_database, (connection, transaction) =>
        {
            var result = work(connection, transaction);
            BumpGeneration(connection, transaction);
            return (result, true);
        });
        Committed?.Invoke();
        return result;
    }

    /// <summary>
    /// Like <see cref="Mutate{T}"/>, but commits only when <paramref name="work"/> succeeds: a refusal (validation,
    /// conflict, missing object) rolls everything back. A constraint violation (a duplicate name, say) becomes a
    /// <see cref="StoreStatus.Conflict"/> naming the column, never an exception.
    /// </summary>
    public StoreResult<T> TryMutate<T>(Func<DbConnection, DbTransaction, StoreResult<T>> work)
    {
        var result = TransientStoreFailures.Write(_database, (connection, transaction) =>
        {
            StoreResult<T> result;
            try
            {
                result = work(connection, transaction);
            }
            catch (DbException ex) when (_database.IsConstraintViolation(ex))
            {
                return (StoreResult<T>.FromConstraint(_database.UniqueColumn(ex)), false);
            }

            if (result.Succeeded)
            {
                BumpGeneration(connection, transaction);
            }

            return (result, result.Succeeded);
        });
        if (result.Succeeded)
        {
            Committed?.Invoke();
        }

        return result;
    }

    /// <summary>
    /// <see cref="TryMutate{T}"/> for the admin API's handlers: no thread waits on the store, and
    /// <paramref name="cancellationToken"/> (the request's) stops the work before its commit
    /// (<see cref="TransientStoreFailures.WriteAsync{T}"/>).
    /// </summary>
    public async Task<StoreResult<T>> TryMutateAsync<T>(
        Func<DbConnection, DbTransaction, Task<StoreResult<T>>> work, CancellationToken cancellationToken)
    {
        var result = await TransientStoreFailures.WriteAsync(_database, async (connection, transaction) =>
        {
            StoreResult<T> result;
            try
            {
                result = await work(connection, transaction);
            }
            catch (DbException ex) when (_database.IsConstraintViolation(ex))
            {
                return (StoreResult<T>.FromConstraint(_database.UniqueColumn(ex)), false);
            }

            if (result.Succeeded)
            {
                await connection.ExecuteAsync(transaction, BumpGenerationSql, cancellationToken);
            }

            return (result, result.Succeeded);
        }, cancellationToken);
        if (result.Succeeded)
        {
            Committed?.Invoke();
        }

        return result;
    }

    private const string BumpGenerationSql = "UPDATE generation SET value = value + 1 WHERE id = 1";

    private static void BumpGeneration(DbConnection connection, DbTransaction transaction) =>
        connection.Execute(transaction, BumpGenerationSql);

    public T Read<T>(Func<DbConnection, T> query)
    {
        using var connection = _database.Open();
        return query(connection);
    }

    /// <summary><see cref="Read{T}"/> for the admin API's handlers: the connection is opened and read without blocking a thread.</summary>
    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> query, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        return await query(connection);
    }

    public WorldMap LoadWorld() => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, data_zone, geography, display_name, version FROM regions ORDER BY geography, name";
        using var reader = command.ExecuteReader();
        var regions = new List<Region>();
        var version = 0L;
        while (reader.Read())
        {
            regions.Add(new Region(reader.GetString(0), reader.GetStringOrNull(1), reader.GetString(2), reader.GetString(3)));
            version += reader.GetInt64(4);
        }

        return new WorldMap(regions, version);
    });

    /// <summary>
    /// Everything the data plane needs in memory: live keys and live deployments, each with the standing suspension that
    /// refuses it, if any (so a request never asks the database whether it is suspended).
    /// </summary>
    public RoutingData LoadRouting(DateTimeOffset now)
    {
        var world = LoadWorld();
        return Read(connection =>
        {
            var suspensions = MarketplaceStore.LoadStandingSuspensions(connection, null);
            var keys = new List<KeyRecord>();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = """
                    SELECT k.id, k.hash, k.resource_id, k.tenant_id, k.expires_at, r.region, COALESCE(k.lineage_id, k.id)
                    FROM api_keys k JOIN resources r ON r.id = k.resource_id
                    WHERE k.revoked_at IS NULL
                    """;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var expiresAt = reader.IsDBNull(4) ? (DateTimeOffset?)null : ParseTime(reader.GetString(4));
                    if ((expiresAt is null || expiresAt > now) && world.TryGetRegion(reader.GetString(5), out var keyRegion))
                    {
                        keys.Add(new KeyRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), keyRegion, expiresAt)
                        {
                            Suspension = suspensions.OfKey(reader.GetString(3), reader.GetString(2), reader.GetString(6)).FirstOrDefault(),
                        });
                    }
                }
            }

            var retentionChanges = TermsRecords.RetentionChanges(connection, null);
            var acceptances = TermsRecords.AcceptanceTimes(connection, null);
            var deployments = new List<DeploymentRoute>();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = """
                    SELECT d.id, d.name, d.tenant_id, d.resource_id, o.publisher_id, d.offer_id, d.model_id, m.max_output_tokens,
                           d.hosting_option, d.deployment_type, r.region, d.created_at, d.safeguard_policy,
                           d.reviewed_by, d.retention_mode, d.retention_exempted_at, m.context_window, d.allowed_ingress, d.safeguard_settings
                    FROM deployments d
                    JOIN resources r ON r.id = d.resource_id
                    JOIN offers o ON o.id = d.offer_id
                    JOIN offer_models m ON m.offer_id = d.offer_id AND m.model_id = d.model_id
                    WHERE d.deleted_at IS NULL
                    ORDER BY d.created_at DESC, d.id
                    """;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (!world.TryGetRegion(reader.GetString(10), out var region)
                        || !WireNames.TryParseHosting(reader.GetString(8), out var hosting)
                        || !CaseReview.TryParse(reader.GetString(13), out ReviewedBy reviewedBy)
                        || !CaseReview.TryParse(reader.GetString(14), out RetentionMode retention))
                    {
                        continue;
                    }

                    DeploymentType? type = reader.IsDBNull(9) ? null
                        : WireNames.TryParseType(reader.GetString(9), out var parsed) ? parsed : null;
                    deployments.Add(new DeploymentRoute(
                        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                        reader.GetString(5), reader.GetString(6), reader.GetInt32(7), hosting, type, region)
                    {
                        CreatedAt = ParseTime(reader.GetString(11)),
                        SafeguardPolicy = reader.GetString(12),
                        Suspension = suspensions.OfDeployment(reader.GetString(2), reader.GetString(3), reader.GetString(1)).FirstOrDefault(),
                        ReviewedBy = reviewedBy,
                        Retention = retention,
                        RetentionExempt = !reader.IsDBNull(15),
                        OfferRequiresRetention = TermsTimeline<bool>.Of(
                            retentionChanges[reader.GetString(5)], acceptances.GetValueOrDefault((reader.GetString(2), reader.GetString(5))) ?? []),
                        ContextWindow = reader.GetInt32(16),
                        AllowedIngress = reader.IsDBNull(17) ? [] : reader.GetString(17).Split(',', StringSplitOptions.RemoveEmptyEntries),
                        SafeguardSettings = reader.IsDBNull(18) ? null : reader.GetString(18),
                    });
                }
            }

            var endpoints = new Dictionary<string, List<PublisherEndpoint>>(StringComparer.Ordinal);
            using (var command = connection.CreateCommand())
            {
                command.CommandText = """
                    SELECT p.id, e.url, e.declared_location
                    FROM publishers p LEFT JOIN publisher_endpoints e ON e.publisher_id = p.id
                    ORDER BY p.id, e.position
                    """;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var list = endpoints.TryGetValue(reader.GetString(0), out var existing) ? existing : endpoints[reader.GetString(0)] = [];
                    if (!reader.IsDBNull(1))
                    {
                        list.Add(new PublisherEndpoint(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
                    }
                }
            }

            var publishers = endpoints.Select(p => new PublisherRecord(p.Key, p.Value)).ToList();
            var defaults = connection.Query(null, "SELECT resource_id, model_id, deployment_id FROM resource_model_defaults",
                r => new ModelDefaultRoute(r.GetString(0), r.GetString(1), r.GetString(2)));
            return new RoutingData(world, keys, deployments, publishers, defaults);
        });
    }

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

/// <param name="ResourceRegion">The region of the key's resource: where the records of its requests rest.</param>
public sealed record KeyRecord(string KeyId, string Hash, string ResourceId, string TenantId, Region ResourceRegion, DateTimeOffset? ExpiresAt)
{
    /// <summary>
    /// The oldest standing Trust &amp; Safety suspension covering the key (its own, its lineage's, its resource's or its
    /// tenant's): its requests are refused with 403.
    /// </summary>
    public Suspension? Suspension { get; init; }
}

public sealed record RoutingData(
    WorldMap World,
    IReadOnlyList<KeyRecord> Keys,
    IReadOnlyList<DeploymentRoute> Deployments,
    IReadOnlyList<PublisherRecord> Publishers,
    IReadOnlyList<ModelDefaultRoute> ModelDefaults);

/// <summary>The deployment a resource's callers reach by a model id (<see cref="MarketplaceStore.ModelDefaults"/>).</summary>
public sealed record ModelDefaultRoute(string ResourceId, string ModelId, string DeploymentId);

/// <summary>A publisher and the endpoints it declared for publisher-hosted processing.</summary>
public sealed record PublisherRecord(string PublisherId, IReadOnlyList<PublisherEndpoint> Endpoints);
