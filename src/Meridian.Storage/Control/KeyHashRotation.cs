using Meridian.Storage.Sql;

namespace Meridian.Storage.Control;

/// <summary>
/// Moves a stored API key's or admin token's hash from a secret of a key-hash rotation's overlap to the current secret,
/// when the key is presented (docs/scale-out.md, "Rotation"): the key's text is needed for its new hash, so a key moves
/// on its first use during the overlap, and one never used in it stops working when the overlap ends. Conditional on
/// the old hash, so two nodes moving the same key at once both succeed and neither undoes the other. Thread-safe.
/// </summary>
public sealed class KeyHashRotation(ControlStore store)
{
    /// <summary>Moves the API key stored under <paramref name="from"/> to <paramref name="to"/>; bumps the generation so every snapshot takes it.</summary>
    public void MoveKey(string from, string to) =>
        store.Mutate((connection, transaction) => connection.Execute(transaction, "UPDATE api_keys SET hash = @to WHERE hash = @from", ("@to", to), ("@from", from)));

    /// <summary>Moves the admin token stored under <paramref name="from"/> to <paramref name="to"/>.</summary>
    public void MoveToken(string from, string to) =>
        store.Mutate((connection, transaction) => connection.Execute(transaction, "UPDATE admin_tokens SET hash = @to WHERE hash = @from", ("@to", to), ("@from", from)));
}
