using System.Net;

namespace Meridian.Protocol.Messages;

/// <summary>
/// Judges an image or document URL source without fetching it: the gateway never fetches, but whatever upstream does
/// must not be pointed at the operator's own network. A URL naming a loopback, private, link-local, carrier-grade
/// NAT, unspecified or cloud-metadata address — as an IP literal in any spelling <see cref="Uri"/> accepts, or as one
/// of the names that always mean such an address — is refused. A public host name that resolves to a private address
/// is the fetching upstream's to refuse (Anthropic fetches from its own network). Stateless and thread-safe.
/// </summary>
internal static class SourceUrl
{
    /// <summary>Why the URL is refused (without the field path), or null when it may be passed on.</summary>
    public static string? Check(string url)
    {
        if (url.Length > RequestLimits.MaxSourceUrlLength)
        {
            return $"the URL is longer than {RequestLimits.MaxSourceUrlLength} characters";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            return "Input should be an absolute http or https URL";
        }

        var host = uri.IdnHost.TrimEnd('.');
        if (IsInternalName(host))
        {
            return $"the URL points at '{host}', an internal address; sources must be reachable on the public internet";
        }

        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            && IPAddress.TryParse(uri.HostNameType == UriHostNameType.IPv6 ? host.Trim('[', ']') : host, out var address)
            && InternalAddresses.Contains(address))
        {
            return $"the URL points at {address}, a loopback, private, link-local or metadata address; sources must be reachable on the public internet";
        }

        return null;
    }

    private static bool IsInternalName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".internal", StringComparison.OrdinalIgnoreCase)  // metadata.google.internal, *.ec2.internal
        || host.EndsWith(".local", StringComparison.OrdinalIgnoreCase)
        || host.Equals("metadata", StringComparison.OrdinalIgnoreCase);
}
