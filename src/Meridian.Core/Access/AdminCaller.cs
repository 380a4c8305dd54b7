using Meridian.Core.Marketplace;

namespace Meridian.Core.Access;

/// <summary>The answer to "may this caller do that?".</summary>
public enum AccessDecision
{
    Allowed,

    /// <summary>The role may never do this (403).</summary>
    Forbidden,

    /// <summary>The object lies outside the caller's tenant or publisher: answered as if it did not exist (404).</summary>
    Hidden,
}

/// <summary>
/// Who is calling the admin API, and the authorization rules as pure functions of the caller and the object's
/// owner. Two principles: a role that may never do something gets <see cref="AccessDecision.Forbidden"/>; a role that could,
/// but not for this tenant or publisher, gets <see cref="AccessDecision.Hidden"/> so existence is not disclosed. The offer
/// catalogue and the world are public to every caller, so acting on another publisher's offer is forbidden, not hidden.
/// </summary>
public sealed record AdminCaller(string TokenId, string Name, AdminRole Role, string? TenantId, string? PublisherId, IReadOnlyList<string> Geographies)
{
    public string Actor => ActorOf(TokenId);

    public bool IsOperator => Role == AdminRole.OperatorAdmin;

    public static string ActorOf(string tokenId) => "token:" + tokenId;

    /// <summary>Regions, publishers, tenants, audit, and any token: the operator's alone.</summary>
    public AccessDecision OperatorOnly() => IsOperator ? AccessDecision.Allowed : AccessDecision.Forbidden;

    public AccessDecision ReadPublisher(string publisherId) => Role switch
    {
        AdminRole.OperatorAdmin => AccessDecision.Allowed,
        AdminRole.PublisherAdmin => Own(PublisherId, publisherId),
        // A tenant's or the operator's reviewer belongs to no publisher: it may never read one.
        AdminRole.Reviewer => PublisherId is null ? AccessDecision.Forbidden : Own(PublisherId, publisherId),
        _ => AccessDecision.Forbidden,
    };

    /// <summary>Listing publishers: the operator sees all, a publisher's people their own, tenants (and reviewers of no publisher) none.</summary>
    public AccessDecision ListPublishers(out string? onlyPublisher)
    {
        onlyPublisher = AdminRoles.IsPublisherRole(Role) ? PublisherId : null;
        // An operator's or a tenant's reviewer has no publisher: without this it would list them all.
        return IsOperator || (AdminRoles.IsPublisherRole(Role) && PublisherId is not null) ? AccessDecision.Allowed : AccessDecision.Forbidden;
    }

    /// <summary>Create offers, change prices, publish terms versions.</summary>
    public AccessDecision ManageOffersOf(string publisherId) => Role switch
    {
        AdminRole.OperatorAdmin => AccessDecision.Allowed,
        AdminRole.PublisherAdmin => string.Equals(PublisherId, publisherId, StringComparison.Ordinal) ? AccessDecision.Allowed : AccessDecision.Forbidden,
        _ => AccessDecision.Forbidden,
    };

    public AccessDecision ReadTenant(string tenantId) => Role switch
    {
        AdminRole.OperatorAdmin => AccessDecision.Allowed,
        AdminRole.TenantAdmin or AdminRole.TenantDeveloper => Own(TenantId, tenantId),
        _ => AccessDecision.Forbidden,
    };

    /// <summary>Listing tenants: the operator sees all, tenant roles their own, publisher roles none.</summary>
    public AccessDecision ListTenants(out string? onlyTenant)
    {
        onlyTenant = AdminRoles.IsTenantRole(Role) ? TenantId : null;
        return IsOperator || AdminRoles.IsTenantRole(Role) ? AccessDecision.Allowed : AccessDecision.Forbidden;
    }

    /// <summary>Subscribe, create resources, create and delete deployments.</summary>
    public AccessDecision ManageTenant(string tenantId) => ReadTenant(tenantId) switch
    {
        AccessDecision.Allowed => Role == AdminRole.TenantDeveloper ? AccessDecision.Forbidden : AccessDecision.Allowed,
        var denied => denied,
    };

    /// <summary>Create and list API keys of a tenant's resources.</summary>
    public AccessDecision UseKeys(string tenantId) => ReadTenant(tenantId);

    /// <summary>
    /// See, rotate or revoke one key: the operator and the tenant's admins any key of the tenant; a developer
    /// only the keys it created itself (others' keys are hidden from it).
    /// </summary>
    public AccessDecision ManageKey(string tenantId, string createdBy) => ReadTenant(tenantId) switch
    {
        AccessDecision.Allowed when Role == AdminRole.TenantDeveloper && !string.Equals(createdBy, Actor, StringComparison.Ordinal) => AccessDecision.Hidden,
        var access => access,
    };

    /// <summary>Whether a developer sees only the keys it created.</summary>
    public bool SeesOnlyOwnKeys => Role == AdminRole.TenantDeveloper;

    /// <summary>Issue a token: the operator any; a tenant admin only developer tokens of its own tenant.</summary>
    public AccessDecision IssueToken(AdminRole role, string? tenantId) => Role switch
    {
        AdminRole.OperatorAdmin => AccessDecision.Allowed,
        AdminRole.TenantAdmin when role == AdminRole.TenantDeveloper && string.Equals(tenantId, TenantId, StringComparison.Ordinal) => AccessDecision.Allowed,
        _ => AccessDecision.Forbidden,
    };

    /// <summary>Listing tokens: the operator all, a tenant admin its tenant's.</summary>
    public AccessDecision ListTokens(out string? onlyTenant)
    {
        onlyTenant = Role == AdminRole.TenantAdmin ? TenantId : null;
        return Role is AdminRole.OperatorAdmin or AdminRole.TenantAdmin ? AccessDecision.Allowed : AccessDecision.Forbidden;
    }

    /// <summary>See or revoke one token: the operator any; a tenant admin its tenant's developer tokens.</summary>
    public AccessDecision ManageToken(AdminToken token) => Role switch
    {
        AdminRole.OperatorAdmin => AccessDecision.Allowed,
        AdminRole.TenantAdmin => token.Role == AdminRole.TenantDeveloper && string.Equals(token.TenantId, TenantId, StringComparison.Ordinal)
            ? AccessDecision.Allowed
            : AccessDecision.Hidden,
        _ => AccessDecision.Forbidden,
    };

    /// <summary>
    /// For a reviewer, whose cases it reviews: a publisher's (<see cref="PublisherId"/> set), a tenant's (<see cref="TenantId"/>
    /// set) or the operator's (neither). Null for every other role.
    /// </summary>
    public ReviewedBy? ReviewerFor => Role != AdminRole.Reviewer ? null
        : PublisherId is not null ? ReviewedBy.Publisher
        : TenantId is not null ? ReviewedBy.Tenant
        : ReviewedBy.Operator;

    /// <summary>
    /// The Trust &amp; Safety case queue: the operator-admin sees every case (<paramref name="scope"/> null); a reviewer the
    /// cases assigned to its party in its geographies; every other role is forbidden.
    /// </summary>
    public AccessDecision ReviewCases(out ReviewScope? scope)
    {
        scope = ReviewerFor is { } party ? new ReviewScope(party, PublisherId, TenantId, Geographies) : null;
        return Role is AdminRole.OperatorAdmin or AdminRole.Reviewer ? AccessDecision.Allowed : AccessDecision.Forbidden;
    }

    /// <summary>
    /// See, open or decide one case: the operator-admin any; a reviewer only a case assigned (when it was opened) to its
    /// party — its publisher, its tenant, or the operator — and in one of its geographies. A case of another party or
    /// geography is <see cref="AccessDecision.Forbidden"/>, not hidden: a reviewer is told it may not, rather than that
    /// the case does not exist (case ids are random, so this discloses nothing a reviewer could enumerate).
    /// </summary>
    public AccessDecision ReviewCase(ReviewedBy reviewedBy, string publisherId, string tenantId, string geography) => Role switch
    {
        AdminRole.OperatorAdmin => AccessDecision.Allowed,
        AdminRole.Reviewer when ReviewerFor == reviewedBy
            && reviewedBy switch
            {
                ReviewedBy.Publisher => string.Equals(PublisherId, publisherId, StringComparison.Ordinal),
                ReviewedBy.Tenant => string.Equals(TenantId, tenantId, StringComparison.Ordinal),
                _ => true,
            }
            && Geographies.Contains(geography, StringComparer.OrdinalIgnoreCase) => AccessDecision.Allowed,
        _ => AccessDecision.Forbidden,
    };

    /// <summary>Whose decision a case decision of this caller is: the operator's for the operator-admin, else its reviewer party.</summary>
    public ReviewedBy? DecidingParty => IsOperator ? ReviewedBy.Operator : ReviewerFor;

    /// <summary>
    /// Suspend a whole resource or tenant: the operator's Trust &amp; Safety only (the operator-admin and the operator's
    /// reviewers), since it stops the tenant's use of every publisher's offers, not just those of the case's publisher.
    /// </summary>
    public AccessDecision SuspendResourceOrTenant() => DecidingParty == ReviewedBy.Operator ? AccessDecision.Allowed : AccessDecision.Forbidden;

    /// <summary>
    /// Lift a suspension: the operator-admin any; the operator's reviewers any whose case lies in their geographies; a
    /// publisher's or a tenant's reviewer only a suspension its own party decided, on a case it may review. Never a tenant
    /// admin or developer, never a publisher-admin: a suspension holds until the Trust &amp; Safety that decided it (or the
    /// operator above it) decides otherwise.
    /// </summary>
    /// <param name="decidedBy">The party whose decision the suspension is.</param>
    public AccessDecision LiftSuspension(ReviewedBy decidedBy, ReviewedBy caseReviewedBy, string publisherId, string tenantId, string geography) => Role switch
    {
        AdminRole.OperatorAdmin => AccessDecision.Allowed,
        AdminRole.Reviewer when ReviewerFor == ReviewedBy.Operator && Geographies.Contains(geography, StringComparer.OrdinalIgnoreCase) => AccessDecision.Allowed,
        AdminRole.Reviewer when ReviewerFor == decidedBy && ReviewCase(caseReviewedBy, publisherId, tenantId, geography) == AccessDecision.Allowed =>
            AccessDecision.Allowed,
        _ => AccessDecision.Forbidden,
    };

    private static AccessDecision Own(string? mine, string theirs) =>
        mine is not null && string.Equals(mine, theirs, StringComparison.Ordinal) ? AccessDecision.Allowed : AccessDecision.Hidden;
}

/// <summary>The cases a reviewer may review: those assigned to <paramref name="ReviewedBy"/> (and to its publisher or tenant) in its geographies.</summary>
public sealed record ReviewScope(ReviewedBy ReviewedBy, string? PublisherId, string? TenantId, IReadOnlyList<string> Geographies);
