using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Gateway.Backends;

namespace Meridian.Gateway.Receipts;

/// <summary>Adds what routing decided to a request's receipt: the boundary it was held to, the failover path, and who got which data.</summary>
internal static class RoutingReceipts
{
    public static Receipt Complete(Receipt receipt, DeploymentRoute? deployment, RoutedCall? route)
    {
        var backend = route?.Backend;
        return receipt with
        {
            PublisherId = deployment?.PublisherId,
            ResourceRegion = deployment?.ResourceRegion.Name,
            ResourceDataZone = deployment?.ResourceRegion.DataZone,
            Backend = backend is null ? receipt.Backend : $"{backend.Id} ({backend.Kind})",
            ProcessingRegion = backend?.ProcessingLocation ?? receipt.ProcessingRegion,
            ProcessingDataZone = backend?.Placement.DataZone,
            ProcessingOperator = backend?.Placement.OperatedBy,
            Attempts = route is { Attempts.Count: > 0 } ? [.. route.Attempts] : null,
            RoutingFailure = route?.Failure,
            DataRecipients = ReceiptBoundary.Recipients(deployment?.PublisherId, route?.ContentOperators ?? []),
        };
    }
}
