using Meridian.Core.Receipts;

namespace Meridian.Core.Tests.Receipts;

/// <summary>A receipt is checked against the boundary it records: the report's violation count rests on this.</summary>
public sealed class ReceiptBoundaryTests
{
    private static Receipt Regional(string processingRegion, string? processingZone, string processingOperator = "platform") => new()
    {
        RequestId = "req_1",
        CreatedAt = DateTimeOffset.UnixEpoch,
        TenantId = "ten",
        KeyId = "key",
        DeploymentId = "dep",
        HostingOption = "platform",
        DeploymentType = "regional",
        PublisherId = "pub_a",
        ResourceRegion = "eastus",
        ResourceDataZone = "us",
        IngressRegion = "eastus",
        StorageGeography = "us",
        Endpoint = "messages",
        Status = 200,
        Backend = "b (simulator)",
        ProcessingRegion = processingRegion,
        ProcessingDataZone = processingZone,
        ProcessingOperator = processingOperator,
    };

    [Fact]
    public void Processing_inside_the_boundary_is_no_violation()
    {
        Assert.False(ReceiptBoundary.IsViolation(Regional("eastus", "us")));
        Assert.False(ReceiptBoundary.IsViolation(Regional("westus", "us") with { DeploymentType = "datazone" }));
        Assert.False(ReceiptBoundary.IsViolation(Regional("France", "publisher", "pub_a") with { HostingOption = "publisher", DeploymentType = null }));
    }

    [Fact]
    public void Processing_or_an_attempt_outside_the_boundary_is_a_violation()
    {
        Assert.True(ReceiptBoundary.IsViolation(Regional("westus", "us")));
        Assert.True(ReceiptBoundary.IsViolation(Regional("swedencentral", "eu") with { DeploymentType = "datazone" }));
        Assert.True(ReceiptBoundary.IsViolation(Regional("France", "publisher", "pub_b") with { HostingOption = "publisher", DeploymentType = null }));
        Assert.True(ReceiptBoundary.IsViolation(Regional("eastus", "us") with { Attempts = [new RouteAttempt("w", "westus", "us", "platform", "connect_error")] }));
    }

    [Fact]
    public void A_request_that_was_not_processed_is_no_violation()
    {
        Assert.False(ReceiptBoundary.IsViolation(Regional("eastus", "us") with { ProcessingOperator = null, ProcessingRegion = null }));
    }

    [Fact]
    public void Content_goes_only_to_the_operators_of_the_backends_it_was_sent_to()
    {
        var platform = ReceiptBoundary.Recipients("pub_a", ["platform"]);
        var publisher = ReceiptBoundary.Recipients("pub_a", ["pub_a"]);
        var none = ReceiptBoundary.Recipients("pub_a", []);

        Assert.Equal(["content", "usage", "transaction", "contact"], platform.Single(r => r.Party == "operator").Classes);
        Assert.Equal(["usage", "transaction", "contact"], platform.Single(r => r.Party == "pub_a").Classes);
        Assert.Equal(["usage", "transaction", "contact"], publisher.Single(r => r.Party == "operator").Classes);
        Assert.Equal(["content", "usage", "transaction", "contact"], publisher.Single(r => r.Party == "pub_a").Classes);
        Assert.DoesNotContain(none, r => r.Classes.Contains("content"));
    }

    [Fact]
    public void The_report_builder_counts_locations_failures_and_violations_per_deployment()
    {
        var builder = new BoundaryReportBuilder();
        builder.Add(Regional("eastus", "us"));
        builder.Add(Regional("eastus", "us") with { RequestId = "req_2" });
        builder.Add(Regional("westus", "us") with { RequestId = "req_bad" });
        builder.Add(Regional("eastus", "us") with { RequestId = "req_3", ProcessingOperator = null, ProcessingRegion = null, RoutingFailure = "no backend" });
        builder.Add(Regional("eastus", "us") with { RequestId = "req_4", Endpoint = "count_tokens" });

        var report = builder.Build("ten", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(1));

        var deployment = Assert.Single(report.Deployments);
        Assert.Equal(4, deployment.Requests);
        Assert.Equal(3, deployment.Processed);
        Assert.Equal(1, deployment.FailedClosed);
        Assert.Equal(1, deployment.Violations);
        Assert.Equal(["req_bad"], deployment.ViolationRequestIds);
        Assert.Equal("region eastus", deployment.Boundary);
        Assert.Equal([("eastus", 2L), ("westus", 1L)], deployment.ProcessedIn.Select(p => (p.Region, p.Requests)));
    }

    [Fact]
    public void Content_taken_in_outside_the_boundary_is_a_violation_unless_the_operator_allowed_that_ingress()
    {
        var enteredInEurope = Regional("eastus", "us") with { IngressRegion = "swedencentral", IngressDataZone = "eu" };

        Assert.True(ReceiptBoundary.IsViolation(enteredInEurope));
        Assert.True(ReceiptBoundary.IsViolation(enteredInEurope with { ProcessingOperator = null, ProcessingRegion = null, SafeguardVerdict = "block:violence=high" }),
            "screened at a node outside the boundary: the content crossed before any routing decision");
        Assert.False(ReceiptBoundary.IsViolation(enteredInEurope with { IngressOutsideBoundary = true }));
        Assert.False(ReceiptBoundary.IsViolation(enteredInEurope with { ProcessingOperator = null, ProcessingRegion = null, Status = 403 }),
            "refused at ingress before screening: nothing was taken in");
        Assert.False(ReceiptBoundary.IsViolation(enteredInEurope with { DeploymentType = "global" }));
        Assert.True(ReceiptBoundary.IsViolation(Regional("swedencentral", "eu") with
        {
            DeploymentType = "datazone", ResourceRegion = "swedencentral", ResourceDataZone = "eu", IngressRegion = "eastus", IngressDataZone = "us",
        }));
    }

    [Fact]
    public void The_report_accounts_for_every_request_in_exactly_one_column_and_counts_bad_signatures_as_violations()
    {
        var builder = new BoundaryReportBuilder();
        builder.Add(Regional("eastus", "us"));
        builder.Add(Regional("eastus", "us") with { RequestId = "req_quota", ProcessingOperator = null, ProcessingRegion = null, Status = 429 });
        builder.Add(Regional("eastus", "us") with { RequestId = "req_closed", ProcessingOperator = null, ProcessingRegion = null, RoutingFailure = "no backend", Status = 503 });
        builder.Add(Regional("eastus", "us") with { RequestId = "req_blocked", ProcessingOperator = null, ProcessingRegion = null, SafeguardVerdict = "block:violence=high", Status = 400 });
        builder.Add(Regional("eastus", "us") with { RequestId = "req_allowed", IngressRegion = "westus", IngressDataZone = "us", IngressOutsideBoundary = true });
        builder.Add(Regional("eastus", "us") with { RequestId = "req_tampered" }, verified: false);
        builder.Add(Regional("Somewhere", "publisher", "pub_a") with { RequestId = "req_pub", HostingOption = "publisher", DeploymentId = "dep_pub", ProcessingRegion = BoundaryReportBuilder.UndeclaredLocation });

        var report = builder.Build("ten", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(1));

        var regional = report.Deployments.Single(d => d.DeploymentId == "dep");
        Assert.Equal(6, regional.Requests);
        Assert.Equal(regional.Requests, regional.Processed + regional.RefusedBeforeRouting + regional.FailedClosed + regional.BlockedBySafeguard);
        Assert.Equal((3L, 1L, 1L, 1L), (regional.Processed, regional.RefusedBeforeRouting, regional.FailedClosed, regional.BlockedBySafeguard));
        Assert.Equal(1, regional.IngressAllowedOutside);
        Assert.Equal(1, regional.BadSignatures);
        Assert.Equal(["req_tampered"], regional.ViolationRequestIds);
        var undeclared = Assert.Single(report.Deployments.Single(d => d.DeploymentId == "dep_pub").ProcessedIn);
        Assert.False(undeclared.Declared);
    }
}
