using Meridian.Core.Validation;

namespace Meridian.Storage.Control;

public enum StoreStatus
{
    Ok,
    Created,
    NotFound,

    /// <summary>Field errors that needed the store to find (an unknown offer, a region in use).</summary>
    Invalid,

    /// <summary>A duplicate name, or a change that would contradict existing objects.</summary>
    Conflict,

    /// <summary>The caller's <c>If-Match</c> version is not the current one.</summary>
    PreconditionFailed,

    /// <summary>The tenant has not accepted the offer's current terms.</summary>
    TermsNotAccepted,
}

/// <summary>The outcome of a store operation. On anything but <see cref="StoreStatus.Ok"/>/<see cref="StoreStatus.Created"/>
/// the transaction was rolled back and nothing changed.</summary>
public sealed record StoreResult<T>(StoreStatus Status, T? Value, FieldErrors? Errors = null, string? Message = null)
{
    public bool Succeeded => Status is StoreStatus.Ok or StoreStatus.Created;

    public static StoreResult<T> Ok(T value) => new(StoreStatus.Ok, value);

    public static StoreResult<T> Created(T value) => new(StoreStatus.Created, value);

    public static StoreResult<T> NotFound(string message) => new(StoreStatus.NotFound, default, null, message);

    public static StoreResult<T> Invalid(FieldErrors errors) => new(StoreStatus.Invalid, default, errors, "The request has invalid fields.");

    public static StoreResult<T> Conflict(string message, FieldErrors? errors = null) => new(StoreStatus.Conflict, default, errors, message);

    public static StoreResult<T> PreconditionFailed(long current) =>
        new(StoreStatus.PreconditionFailed, default, null, $"The object changed: its current version is {current}. Read it again and retry with If-Match: \"{current}\".");

    public static StoreResult<T> TermsNotAccepted(string message) => new(StoreStatus.TermsNotAccepted, default, null, message);

    /// <summary>Maps SQLite's "UNIQUE constraint failed: resources.tenant_id, resources.name" to a conflict on <c>name</c>.</summary>
    /// <param name="uniqueColumn">The column a UNIQUE constraint refused (<see cref="Sql.SqlDatabase.UniqueColumn"/>), when known.</param>
    internal static StoreResult<T> FromConstraint(string? uniqueColumn) => uniqueColumn is { } field
        ? Conflict($"An object with this {field} already exists.", FieldErrors.Of(field, "already exists"))
        : Conflict("The change conflicts with existing objects.");
}

/// <summary>One page of a list, and the id to continue after when there is more.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextAfter);

/// <summary>A page request: at most <paramref name="Limit"/> items whose id sorts after <paramref name="After"/>.</summary>
public readonly record struct PageRequest(int Limit, string? After);
