namespace Meridian.Core.Marketplace;

/// <summary>A publisher listed on the marketplace.</summary>
public sealed record Publisher(string Id, string Name, string ContactEmail, IReadOnlyList<PublisherEndpoint> Endpoints, DateTimeOffset CreatedAt);

/// <summary>Where a publisher processes publisher-hosted requests, and where it says that is (null: undeclared).</summary>
public sealed record PublisherEndpoint(string Url, string? DeclaredLocation)
{
    public const string Undeclared = "undeclared";
}

/// <summary>USD per million tokens. Money is <see cref="decimal"/>, never floating point.</summary>
public sealed record Prices(decimal Input, decimal Output, decimal CacheWrite, decimal CacheRead);

/// <summary>One model version of an offer.</summary>
public sealed record OfferModel(string ModelId, string DisplayName, int ContextWindow, int MaxOutputTokens);

/// <summary>One version of an offer's terms: what a subscriber accepts. The text is identified by its SHA-256.</summary>
public sealed record TermsVersion(int Version, string Sha256, DateTimeOffset EffectiveAt);

/// <summary>
/// A publisher's model family on the marketplace, with the terms version in effect when it was read (the newest whose
/// <c>effective_at</c> has come) and the versions published to take effect later.
/// </summary>
/// <param name="Version">Edit counter for optimistic concurrency (the ETag).</param>
public sealed record Offer(
    string Id,
    string PublisherId,
    string Name,
    IReadOnlyList<HostingOption> HostingOptions,
    IReadOnlyList<DeploymentType> DeploymentTypes,
    Prices Prices,
    IReadOnlyList<OfferModel> Models,
    TermsVersion Terms,
    long Version,
    DateTimeOffset CreatedAt)
{
    /// <summary>
    /// Whether the publisher's terms require flagged requests' content to be retained for its review: a deployment
    /// with retention mode <c>none</c> then needs an operator exemption, or its requests fail closed.
    /// </summary>
    public bool RequiresRetention { get; init; }

    /// <summary>Versions published to take effect later, oldest first: until then new subscribers accept <see cref="Terms"/>.</summary>
    public IReadOnlyList<TermsVersion> ScheduledTerms { get; init; } = [];

    public OfferModel? FindModel(string modelId) => Models.FirstOrDefault(m => string.Equals(m.ModelId, modelId, StringComparison.Ordinal));
}
