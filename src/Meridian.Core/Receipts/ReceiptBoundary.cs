using Meridian.Core.Marketplace;
using Meridian.Core.World;

namespace Meridian.Core.Receipts;

/// <summary>
/// Checks a receipt against the boundary it records, with the same rule the router applies
/// (<see cref="Boundary.Allows"/>): a receipt whose processing backend, or any backend it was attempted on, lies outside
/// the deployment's boundary is a violation. There should never be one; the boundary report counts them.
/// </summary>
public static class ReceiptBoundary
{
    public const string Content = "content";
    public const string Usage = "usage";
    public const string Transaction = "transaction";
    public const string Contact = "contact";
    public const string OperatorParty = "operator";

    /// <summary>
    /// True when the receipt shows data processed (or sent for processing) outside its boundary, or content taken in
    /// outside it — screened or processed at a node outside the boundary without the operator's allowance.
    /// </summary>
    public static bool IsViolation(Receipt receipt)
    {
        if (IngressOutside(receipt) && receipt.IngressOutsideBoundary != true
            && (receipt.ProcessingOperator is not null || receipt.SafeguardVerdict != "not_screened"))
        {
            return true;
        }

        if (receipt.ProcessingOperator is { } processingOperator
            && !Allows(receipt, new BackendPlacement(receipt.Backend ?? "?", receipt.ProcessingRegion ?? string.Empty, receipt.ProcessingDataZone, processingOperator)))
        {
            return true;
        }

        foreach (var attempt in receipt.Attempts ?? [])
        {
            if (!Allows(receipt, new BackendPlacement(attempt.Backend, attempt.Region, attempt.DataZone, attempt.Operator)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Who received which classes of data: the operator and the offer's publisher get usage, transaction and contact
    /// data (billing, the publisher share); content goes only to the operators of the backends it was sent to.
    /// </summary>
    public static IReadOnlyList<DataRecipient> Recipients(string? publisherId, IEnumerable<string> contentOperators)
    {
        var withContent = new HashSet<string>(contentOperators, StringComparer.Ordinal);
        var recipients = new List<DataRecipient>(2)
        {
            new(OperatorParty, OperatorParty, Classes(withContent.Contains(BackendPlacement.Platform))),
        };
        if (publisherId is not null)
        {
            recipients.Add(new DataRecipient(publisherId, "publisher", Classes(withContent.Contains(publisherId))));
        }

        return recipients;
    }

    private static string[] Classes(bool content) => content ? [Content, Usage, Transaction, Contact] : [Usage, Transaction, Contact];

    /// <summary>Whether the request came in outside its deployment's boundary (as far as the receipt says where it came in).</summary>
    private static bool IngressOutside(Receipt receipt)
    {
        if (receipt.HostingOption != WireNames.Of(HostingOption.Platform))
        {
            return false;
        }

        return receipt.DeploymentType switch
        {
            "regional" => !string.Equals(receipt.IngressRegion, receipt.ResourceRegion, StringComparison.OrdinalIgnoreCase),
            "datazone" => receipt.IngressDataZone is { } zone && !string.Equals(zone, receipt.ResourceDataZone, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }

    private static bool Allows(Receipt receipt, BackendPlacement placement)
    {
        if (!WireNames.TryParseHosting(receipt.HostingOption, out var hosting))
        {
            return false;
        }

        DeploymentType? type = WireNames.TryParseType(receipt.DeploymentType, out var parsed) ? parsed : null;
        if (hosting == HostingOption.Platform && type is null)
        {
            return false;
        }

        var region = new Region(receipt.ResourceRegion ?? string.Empty, receipt.ResourceDataZone, receipt.StorageGeography, string.Empty);
        var deployment = new DeploymentRoute(
            receipt.DeploymentId ?? string.Empty, receipt.DeploymentName ?? string.Empty, receipt.TenantId, string.Empty,
            receipt.PublisherId ?? string.Empty, string.Empty, receipt.Model ?? string.Empty, 0, hosting, type, region);
        return Boundary.Allows(deployment, placement);
    }
}
