namespace Meridian.Storage.Sql;

/// <summary>
/// What a store's schema is and who may use it: <see cref="Store"/> migrations applied, <see cref="Binary"/> the
/// migrations this binary knows, and <see cref="OldestCompatible"/> the schema version a binary must know at least to
/// use the store, recorded by the newest binary that migrated it. A migration that older binaries survive (an added
/// table or nullable column: the expand step of a rolling upgrade) leaves it; one they do not (a changed key, a dropped
/// column: the contract step) raises it.
/// </summary>
public sealed record SchemaVersion(int Store, int Binary, int OldestCompatible)
{
    /// <summary>The store was migrated by a newer binary than this one.</summary>
    public bool Ahead => Store > Binary;

    /// <summary>This binary may use the store: it knows the schema, or the newer schema says binaries this old still fit.</summary>
    public bool Usable => !Ahead || OldestCompatible <= Binary;

    internal static void EnsureUsable(string location, SchemaVersion version)
    {
        if (!version.Usable)
        {
            throw new SchemaTooNewException(location, version);
        }
    }
}

/// <summary>
/// A store migrated past what this binary understands, by a binary that declared older ones unfit: the node must not
/// serve it (it would write rows the newer schema no longer accepts, or read them wrongly).
/// </summary>
public sealed class SchemaTooNewException(string location, SchemaVersion version) : InvalidOperationException(
    $"The store at {location} is at schema version {version.Store}, and needs a binary that knows schema {version.OldestCompatible} or later; " +
    $"this binary knows {version.Binary}. Upgrade this node to the version that migrated the store (or newer); it must not serve this store.")
{
    public SchemaVersion Version { get; } = version;
}
