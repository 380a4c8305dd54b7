using Meridian.Core.Access;
using Meridian.Core.Marketplace;

namespace Meridian.Core.Tests.Access;

public sealed class AdminCallerTests
{
    private static readonly AdminCaller Operator = new("tok_op", "op", AdminRole.OperatorAdmin, null, null, []);
    private static readonly AdminCaller PublisherA = new("tok_pa", "pa", AdminRole.PublisherAdmin, null, "pub_a", []);
    private static readonly AdminCaller Reviewer = new("tok_rv", "rv", AdminRole.Reviewer, null, "pub_a", ["eu"]);
    private static readonly AdminCaller TenantAdminA = new("tok_ta", "ta", AdminRole.TenantAdmin, "ten_a", null, []);
    private static readonly AdminCaller DeveloperA = new("tok_td", "td", AdminRole.TenantDeveloper, "ten_a", null, []);

    [Fact]
    public void Tenant_objects_of_another_tenant_are_hidden_not_forbidden()
    {
        Assert.Equal(AccessDecision.Allowed, TenantAdminA.ReadTenant("ten_a"));
        Assert.Equal(AccessDecision.Hidden, TenantAdminA.ReadTenant("ten_b"));
        Assert.Equal(AccessDecision.Hidden, DeveloperA.ManageTenant("ten_b"));
        Assert.Equal(AccessDecision.Hidden, TenantAdminA.UseKeys("ten_b"));
    }

    [Fact]
    public void Roles_that_never_see_tenants_are_forbidden()
    {
        Assert.Equal(AccessDecision.Forbidden, PublisherA.ReadTenant("ten_a"));
        Assert.Equal(AccessDecision.Forbidden, Reviewer.ManageTenant("ten_a"));
        Assert.Equal(AccessDecision.Forbidden, PublisherA.ListTenants(out _));
    }

    [Fact]
    public void A_developer_reads_its_tenant_but_does_not_manage_it()
    {
        Assert.Equal(AccessDecision.Allowed, DeveloperA.ReadTenant("ten_a"));
        Assert.Equal(AccessDecision.Forbidden, DeveloperA.ManageTenant("ten_a"));
        Assert.Equal(AccessDecision.Allowed, DeveloperA.UseKeys("ten_a"));
    }

    [Fact]
    public void A_developer_manages_only_the_keys_it_created()
    {
        Assert.Equal(AccessDecision.Allowed, DeveloperA.ManageKey("ten_a", DeveloperA.Actor));
        Assert.Equal(AccessDecision.Hidden, DeveloperA.ManageKey("ten_a", "token:tok_other"));
        Assert.Equal(AccessDecision.Allowed, TenantAdminA.ManageKey("ten_a", "token:tok_other"));
        Assert.Equal(AccessDecision.Hidden, TenantAdminA.ManageKey("ten_b", TenantAdminA.Actor));
    }

    [Fact]
    public void Offers_are_managed_by_their_own_publisher_or_the_operator()
    {
        Assert.Equal(AccessDecision.Allowed, Operator.ManageOffersOf("pub_b"));
        Assert.Equal(AccessDecision.Allowed, PublisherA.ManageOffersOf("pub_a"));
        Assert.Equal(AccessDecision.Forbidden, PublisherA.ManageOffersOf("pub_b"));
        Assert.Equal(AccessDecision.Forbidden, Reviewer.ManageOffersOf("pub_a"));
        Assert.Equal(AccessDecision.Forbidden, TenantAdminA.ManageOffersOf("pub_a"));
    }

    [Fact]
    public void Publishers_are_visible_to_their_own_people()
    {
        Assert.Equal(AccessDecision.Allowed, Reviewer.ReadPublisher("pub_a"));
        Assert.Equal(AccessDecision.Hidden, PublisherA.ReadPublisher("pub_b"));
        Assert.Equal(AccessDecision.Forbidden, DeveloperA.ReadPublisher("pub_a"));
        Assert.Equal(AccessDecision.Allowed, PublisherA.ListPublishers(out var only));
        Assert.Equal("pub_a", only);
    }

    [Fact]
    public void A_tenant_admin_issues_developer_tokens_for_its_own_tenant_only()
    {
        Assert.Equal(AccessDecision.Allowed, TenantAdminA.IssueToken(AdminRole.TenantDeveloper, "ten_a"));
        Assert.Equal(AccessDecision.Forbidden, TenantAdminA.IssueToken(AdminRole.TenantDeveloper, "ten_b"));
        Assert.Equal(AccessDecision.Forbidden, TenantAdminA.IssueToken(AdminRole.TenantAdmin, "ten_a"));
        Assert.Equal(AccessDecision.Forbidden, DeveloperA.IssueToken(AdminRole.TenantDeveloper, "ten_a"));
        Assert.Equal(AccessDecision.Allowed, Operator.IssueToken(AdminRole.OperatorAdmin, null));
    }

    [Fact]
    public void Operator_only_actions()
    {
        Assert.Equal(AccessDecision.Allowed, Operator.OperatorOnly());
        foreach (var caller in new[] { PublisherA, Reviewer, TenantAdminA, DeveloperA })
        {
            Assert.Equal(AccessDecision.Forbidden, caller.OperatorOnly());
        }
    }

    [Fact]
    public void A_publishers_reviewer_reviews_its_publishers_cases_in_its_geographies_and_is_forbidden_the_rest()
    {
        Assert.Equal(AccessDecision.Allowed, Reviewer.ReviewCase(ReviewedBy.Publisher, "pub_a", "ten_x", "eu"));
        Assert.Equal(AccessDecision.Allowed, Reviewer.ReviewCase(ReviewedBy.Publisher, "pub_a", "ten_x", "EU"));
        Assert.Equal(AccessDecision.Forbidden, Reviewer.ReviewCase(ReviewedBy.Publisher, "pub_b", "ten_x", "eu"));
        Assert.Equal(AccessDecision.Forbidden, Reviewer.ReviewCase(ReviewedBy.Publisher, "pub_a", "ten_x", "us"));
        Assert.Equal(AccessDecision.Forbidden, Reviewer.ReviewCase(ReviewedBy.Tenant, "pub_a", "ten_x", "eu"));
        Assert.Equal(AccessDecision.Forbidden, Reviewer.ReviewCase(ReviewedBy.Operator, "pub_a", "ten_x", "eu"));
    }

    [Fact]
    public void Tenant_and_operator_reviewers_review_only_cases_assigned_to_them()
    {
        var tenantReviewer = new AdminCaller("tok_tr", "tr", AdminRole.Reviewer, "ten_a", null, ["eu"]);
        var operatorReviewer = new AdminCaller("tok_or", "or", AdminRole.Reviewer, null, null, ["eu"]);

        Assert.Equal(ReviewedBy.Tenant, tenantReviewer.ReviewerFor);
        Assert.Equal(AccessDecision.Allowed, tenantReviewer.ReviewCase(ReviewedBy.Tenant, "pub_a", "ten_a", "eu"));
        Assert.Equal(AccessDecision.Forbidden, tenantReviewer.ReviewCase(ReviewedBy.Tenant, "pub_a", "ten_b", "eu"));
        Assert.Equal(AccessDecision.Forbidden, tenantReviewer.ReviewCase(ReviewedBy.Publisher, "pub_a", "ten_a", "eu"));
        Assert.Equal(ReviewedBy.Operator, operatorReviewer.ReviewerFor);
        Assert.Equal(AccessDecision.Allowed, operatorReviewer.ReviewCase(ReviewedBy.Operator, "pub_b", "ten_b", "eu"));
        Assert.Equal(AccessDecision.Forbidden, operatorReviewer.ReviewCase(ReviewedBy.Operator, "pub_b", "ten_b", "us"));
        Assert.Equal(AccessDecision.Forbidden, operatorReviewer.ReviewCase(ReviewedBy.Publisher, "pub_b", "ten_b", "eu"));
        Assert.Equal(AccessDecision.Forbidden, operatorReviewer.ListPublishers(out _));
        Assert.Equal(AccessDecision.Forbidden, operatorReviewer.ReadPublisher("pub_b"));
        Assert.Equal(AccessDecision.Forbidden, tenantReviewer.ReadPublisher("pub_a"));
        Assert.Equal(AccessDecision.Forbidden, tenantReviewer.ReadTenant("ten_a"));
    }

    [Fact]
    public void The_operator_reviews_every_case_and_other_roles_none()
    {
        Assert.Equal(AccessDecision.Allowed, Operator.ReviewCases(out var everything));
        Assert.Null(everything);
        Assert.Equal(AccessDecision.Allowed, Operator.ReviewCase(ReviewedBy.Tenant, "pub_z", "ten_z", "us"));
        Assert.Equal(AccessDecision.Allowed, Reviewer.ReviewCases(out var scope));
        Assert.Equal(new ReviewScope(ReviewedBy.Publisher, "pub_a", null, ["eu"]) with { Geographies = scope!.Geographies }, scope);
        foreach (var caller in new[] { PublisherA, TenantAdminA, DeveloperA })
        {
            Assert.Equal(AccessDecision.Forbidden, caller.ReviewCases(out _));
            Assert.Equal(AccessDecision.Forbidden, caller.ReviewCase(ReviewedBy.Publisher, "pub_a", "ten_a", "eu"));
        }
    }

    [Fact]
    public void Role_wire_names_round_trip()
    {
        foreach (var role in AdminRoles.All)
        {
            Assert.True(AdminRoles.TryParse(AdminRoles.Of(role), out var parsed));
            Assert.Equal(role, parsed);
        }

        Assert.False(AdminRoles.TryParse("Operator-Admin", out _));
    }
}
