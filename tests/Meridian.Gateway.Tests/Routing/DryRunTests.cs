namespace Meridian.Gateway.Tests.Routing;

/// <summary>
/// <c>POST /admin/v1/resources/{resource}/deployments?dry_run=true</c> compiles a deployment's boundary into its target
/// set; creating a deployment whose boundary has no backend for its model is refused at creation.
/// </summary>
public sealed class DryRunTests
{
    [Fact]
    public async Task A_dry_run_lists_every_backend_eligible_or_not_and_why_and_creates_nothing()
    {
        await using var lab = await RoutingLab.StartAsync();
        var (_, before) = await lab.AdminAsync(HttpMethod.Get, "/admin/v1/resources/res_demo/deployments");

        var (status, plan) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments?dry_run=true", Draft("plan-dz", "claude-sonnet-5", "datazone"));

        Assert.Equal(200, status);
        Assert.True(plan.GetProperty("would_create").GetBoolean());
        Assert.Equal("data zone us", plan.GetProperty("boundary").GetString());
        Assert.Equal(2, plan.GetProperty("eligible_count").GetInt32());
        var backends = plan.GetProperty("backends").EnumerateArray().ToDictionary(b => b.GetProperty("id").GetString()!);
        Assert.True(backends["east-1"].GetProperty("eligible").GetBoolean());
        Assert.True(backends["west-1"].GetProperty("eligible").GetBoolean());
        Assert.False(backends["eu-1"].GetProperty("eligible").GetBoolean());
        Assert.Equal(["wrong_zone"], backends["eu-1"].GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("wrong zone (eu, not us)", backends["eu-1"].GetProperty("why").GetString());
        Assert.Empty(plan.GetProperty("features_lost").EnumerateArray());
        Assert.DoesNotContain("127.0.0.1", plan.GetRawText(), StringComparison.Ordinal);

        var (_, after) = await lab.AdminAsync(HttpMethod.Get, "/admin/v1/resources/res_demo/deployments");
        Assert.Equal(before.GetProperty("data").GetArrayLength(), after.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_tenants_dry_run_names_only_the_backends_inside_its_boundary()
    {
        await using var lab = await RoutingLab.StartAsync();
        var (_, token) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/tokens", new { role = "tenant-admin", name = "dry run", tenant_id = "ten_demo" });

        var (status, plan) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments?dry_run=true",
            Draft("plan-dz", "claude-sonnet-5", "datazone"), token.GetProperty("token").GetString());

        Assert.Equal(200, status);
        Assert.Equal(2, plan.GetProperty("eligible_count").GetInt32());
        Assert.Equal(["east-1", "west-1"], plan.GetProperty("backends").EnumerateArray().Select(b => b.GetProperty("id").GetString()).Order());
        Assert.DoesNotContain("eu-1", plan.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_shows_features_the_boundary_loses()
    {
        await using var lab = await RoutingLab.StartAsync();
        var resource = await WestResourceAsync(lab);

        var (_, plan) = await lab.AdminAsync(HttpMethod.Post, $"/admin/v1/resources/{resource}/deployments?dry_run=true", Draft("west-sonnet", "claude-sonnet-5", "regional"));

        Assert.True(plan.GetProperty("would_create").GetBoolean());
        var lost = Assert.Single(plan.GetProperty("features_lost").EnumerateArray());
        Assert.Equal("claude-haiku-4-5", lost.GetProperty("model_id").GetString());
        Assert.Equal(["eastus", "swedencentral"], lost.GetProperty("available_in").EnumerateArray().Select(r => r.GetString()));
        var backends = plan.GetProperty("backends").EnumerateArray().ToDictionary(b => b.GetProperty("id").GetString()!);
        Assert.Equal("wrong region (eastus, not westus)", backends["east-1"].GetProperty("why").GetString());
    }

    [Fact]
    public async Task A_boundary_with_no_backend_for_the_model_is_refused_at_creation_and_explained_by_the_dry_run()
    {
        await using var lab = await RoutingLab.StartAsync();
        var resource = await WestResourceAsync(lab);

        var (planStatus, plan) = await lab.AdminAsync(HttpMethod.Post, $"/admin/v1/resources/{resource}/deployments?dry_run=true", Draft("west-haiku", "claude-haiku-4-5", "regional"));
        Assert.Equal(200, planStatus);
        Assert.False(plan.GetProperty("would_create").GetBoolean());
        Assert.Equal(0, plan.GetProperty("eligible_count").GetInt32());
        var west = plan.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("id").GetString() == "west-1");
        Assert.Equal(["does_not_serve_model"], west.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("west-1: does not serve the model claude-haiku-4-5", plan.GetProperty("refused_because").GetString(), StringComparison.Ordinal);

        var (status, problem) = await lab.AdminAsync(HttpMethod.Post, $"/admin/v1/resources/{resource}/deployments", Draft("west-haiku", "claude-haiku-4-5", "regional"));
        Assert.Equal(400, status);
        Assert.Equal("https://meridian.dev/problems/validation", problem.GetProperty("type").GetString());
        var why = Assert.Single(problem.GetProperty("errors").GetProperty("deployment_type").EnumerateArray()).GetString()!;
        Assert.Contains("no backend inside the boundary (region westus) serves model claude-haiku-4-5", why, StringComparison.Ordinal);
        Assert.Contains("east-1: wrong region (eastus, not westus)", why, StringComparison.Ordinal);

        // The same model with a wider boundary is fine.
        var (created, _) = await lab.AdminAsync(HttpMethod.Post, $"/admin/v1/resources/{resource}/deployments", Draft("west-haiku", "claude-haiku-4-5", "global"));
        Assert.Equal(201, created);
    }

    [Fact]
    public async Task A_publisher_hosted_deployment_of_a_publisher_without_backends_is_refused_naming_hosting_option()
    {
        await using var lab = await RoutingLab.StartAsync();

        var (status, problem) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name = "pub-hosted",
            offer_id = "off_claude",
            model_id = "claude-sonnet-5",
            hosting_option = "publisher",
            deployment_type = (string?)null,
            acknowledge_data_may_leave_geography = true,
        });

        Assert.Equal(400, status);
        var why = Assert.Single(problem.GetProperty("errors").GetProperty("hosting_option").EnumerateArray()).GetString()!;
        Assert.Contains("operated by another party", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_of_an_invalid_draft_reports_the_same_errors_as_creation()
    {
        await using var lab = await RoutingLab.StartAsync();

        var (status, problem) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments?dry_run=true", new
        {
            name = "x", offer_id = "off_claude", model_id = "claude-sonnet-5", hosting_option = "platform",
        });
        var (badFlag, _) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments?dry_run=maybe", Draft("y", "claude-sonnet-5", "global"));

        Assert.Equal(400, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("deployment_type", out _));
        Assert.Equal(400, badFlag);
    }

    private static object Draft(string name, string model, string type) => new
    {
        name,
        offer_id = "off_claude",
        model_id = model,
        hosting_option = "platform",
        deployment_type = type,
    };

    private static async Task<string> WestResourceAsync(RoutingLab lab)
    {
        var (status, resource) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/tenants/ten_demo/resources", new { name = "west-" + Guid.NewGuid().ToString("N")[..6], region = "westus" });
        Assert.True(status == 201, resource.ToString());
        return resource.GetProperty("id").GetString()!;
    }
}
