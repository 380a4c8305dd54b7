namespace Meridian.Core.Receipts;

/// <summary>
/// The data-flow receipt of one request: where it came in, where it was processed, where its records rest,
/// what the safeguards said and what it used. It never holds prompt or output text.
/// </summary>
public sealed record Receipt
{
    public required string RequestId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string TenantId { get; init; }
    public required string KeyId { get; init; }
    public string? DeploymentId { get; init; }
    public string? DeploymentName { get; init; }
    public string? Model { get; init; }
    public string? HostingOption { get; init; }
    public string? DeploymentType { get; init; }
    public required string IngressRegion { get; init; }
    public string? Backend { get; init; }
    public string? ProcessingRegion { get; init; }
    public required string StorageGeography { get; init; }
    public required string Endpoint { get; init; }
    public bool Streamed { get; init; }
    public required int Status { get; init; }
    public string? ErrorType { get; init; }
    public string SafeguardVerdict { get; init; } = "not_screened";
    public string? StopReason { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CacheCreationInputTokens { get; init; }
    public long CacheReadInputTokens { get; init; }
    public double DurationMs { get; init; }

    // ---- boundary routing (docs/backends.md, "Routing"). Fields added to receipts later must be nullable: the
    // signature's canonical form leaves nulls out, so receipts signed before a field existed still verify. ----

    /// <summary>The publisher of the deployment's offer.</summary>
    public string? PublisherId { get; init; }

    /// <summary>The region of the deployment's resource, which fixes its boundary.</summary>
    public string? ResourceRegion { get; init; }

    public string? ResourceDataZone { get; init; }

    /// <summary>The data zone of the backend that processed the request (<c>publisher</c> for a publisher's backend).</summary>
    public string? ProcessingDataZone { get; init; }

    /// <summary>Who runs the backend that processed the request: <c>platform</c> or a publisher id.</summary>
    public string? ProcessingOperator { get; init; }

    /// <summary>The backends tried, in order, with how each attempt ended: the failover path.</summary>
    public IReadOnlyList<RouteAttempt>? Attempts { get; init; }

    /// <summary>Why the request was not processed (fail closed), naming candidates and reasons, never secrets.</summary>
    public string? RoutingFailure { get; init; }

    /// <summary>Which parties received which classes of data because of this request.</summary>
    public IReadOnlyList<DataRecipient>? DataRecipients { get; init; }

    /// <summary>The data zone of the region where the request came in (<see cref="IngressRegion"/>).</summary>
    public string? IngressDataZone { get; init; }

    /// <summary>
    /// True when the request came in outside its deployment's boundary at a region the operator allowed for it; null
    /// otherwise (inside, or no ingress rule for the deployment). A refused one says so by its status.
    /// </summary>
    public bool? IngressOutsideBoundary { get; init; }

    /// <summary>
    /// The resource of the key that made the request: a key reads the receipts of its own resource only. Null on receipts
    /// written before it was recorded (those stay readable by every key of the tenant).
    /// </summary>
    public string? ResourceId { get; init; }

    /// <summary>The version of the world (<see cref="World.WorldMap.Version"/>) the request's boundary was computed from.</summary>
    public long? WorldVersion { get; init; }

    /// <summary>The operator's signature over the receipt's canonical form (everything but this field).</summary>
    public ReceiptSignature? Signature { get; init; }
}

/// <summary>One backend a request was sent to, where it runs and who runs it, and how the attempt ended.</summary>
/// <param name="Operator"><c>platform</c> or a publisher id.</param>
/// <param name="Outcome"><c>ok</c>, or how it failed: <c>http_503</c>, <c>connect_error</c>, <c>empty_stream</c>…</param>
public sealed record RouteAttempt(string Backend, string Region, string? DataZone, string Operator, string Outcome);

/// <param name="Party"><c>operator</c>, a publisher id, or the name of a classifier that was sent content.</param>
/// <param name="Classes">Of <c>content</c>, <c>usage</c>, <c>transaction</c>, <c>contact</c>.</param>
/// <param name="Region">Where the recipient processed the data, when the receipt knows it: the region a classifier
/// (role <c>classifier</c>) declared.</param>
public sealed record DataRecipient(string Party, string Role, IReadOnlyList<string> Classes, string? Region = null);

/// <param name="Value">Base64 of the 64-byte signature.</param>
public sealed record ReceiptSignature(string Algorithm, string KeyId, string Value);
