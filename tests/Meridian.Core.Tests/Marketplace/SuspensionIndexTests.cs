using Meridian.Core.Marketplace;

namespace Meridian.Core.Tests.Marketplace;

/// <summary>What a standing suspension covers, as the gateway snapshot and every admin view read it.</summary>
public sealed class SuspensionIndexTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_key_suspension_covers_its_lineages_in_its_resource_and_nothing_else()
    {
        var index = new SuspensionIndex([Key("sus_1", "res_a", ["key_1", "key_7"])]);

        Assert.Single(index.OfKey("ten_a", "res_a", "key_1"));
        Assert.Single(index.OfKey("ten_a", "res_a", "key_7"));
        Assert.Empty(index.OfKey("ten_a", "res_a", "key_2"));
        Assert.Empty(index.OfDeployment("ten_a", "res_a", "chat"));
        Assert.Empty(index.OfResource("ten_a", "res_a"));
    }

    [Fact]
    public void A_deployment_suspension_covers_its_name_in_its_resource_only()
    {
        var index = new SuspensionIndex([Deployment("sus_1", "res_a", "chat")]);

        Assert.Single(index.OfDeployment("ten_a", "res_a", "chat"));
        Assert.Empty(index.OfDeployment("ten_a", "res_b", "chat"));
        Assert.Empty(index.OfDeployment("ten_a", "res_a", "chat-2"));
        Assert.Empty(index.OfKey("ten_a", "res_a", "key_1"));
    }

    [Fact]
    public void Resource_and_tenant_suspensions_cover_every_key_and_deployment_beneath_them_oldest_first()
    {
        var tenant = new Suspension("sus_t", SuspensionScope.Tenant, "ten_a", "ten_a", null, "case_t", ReviewedBy.Operator, "token:op", At.AddHours(1));
        var resource = new Suspension("sus_r", SuspensionScope.Resource, "res_a", "ten_a", "res_a", "case_r", ReviewedBy.Operator, "token:op", At.AddHours(2));
        var index = new SuspensionIndex([resource, tenant, Key("sus_k", "res_a", ["key_1"])]);

        Assert.Equal(["sus_k", "sus_t", "sus_r"], index.OfKey("ten_a", "res_a", "key_1").Select(s => s.Id));
        Assert.Equal(["sus_t", "sus_r"], index.OfDeployment("ten_a", "res_a", "anything").Select(s => s.Id));
        Assert.Equal(["sus_t"], index.OfDeployment("ten_a", "res_b", "anything").Select(s => s.Id));
        Assert.Empty(index.OfKey("ten_b", "res_c", "key_9"));
    }

    [Fact]
    public void A_lifted_suspension_covers_nothing()
    {
        var lifted = Key("sus_1", "res_a", ["key_1"]) with { Lift = new SuspensionLift("token:rev", At.AddDays(1), "appeal", "Appeal upheld.") };

        Assert.Empty(new SuspensionIndex([lifted]).OfKey("ten_a", "res_a", "key_1"));
    }

    private static Suspension Key(string id, string resource, string[] lineages) =>
        new(id, SuspensionScope.Key, lineages[0], "ten_a", resource, "case_" + id, ReviewedBy.Publisher, "token:rev", At) { KeyLineages = lineages };

    private static Suspension Deployment(string id, string resource, string name) =>
        new(id, SuspensionScope.Deployment, "dep_" + id, "ten_a", resource, "case_" + id, ReviewedBy.Publisher, "token:rev", At) { DeploymentName = name };
}
