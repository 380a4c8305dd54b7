using System.Net;
using System.Net.Sockets;

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
            && IsInternal(address))
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

    internal static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] is 0 or 10 or 127                        // this network, private, loopback
                || (b[0] == 100 && b[1] is >= 64 and <= 127)     // carrier-grade NAT
                || (b[0] == 169 && b[1] == 254)                  // link-local, cloud metadata (169.254.169.254)
                || (b[0] == 172 && b[1] is >= 16 and <= 31)      // private
                || (b[0] == 192 && b[1] == 168)                  // private
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)       // IETF protocol assignments
                || (b[0] == 198 && b[1] is 18 or 19)             // benchmarking
                || b[0] >= 224;                                   // multicast, reserved, broadcast
        }

        Span<byte> v6 = stackalloc byte[16];
        address.TryWriteBytes(v6, out _);
        return IPAddress.IsLoopback(address)
            || address.Equals(IPAddress.IPv6None)                // ::
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (v6[0] & 0xFE) == 0xFC                            // unique local fc00::/7 (incl. fd00:ec2::254, AWS metadata)
            || (v6[0] == 0x20 && v6[1] == 0x02 && IsInternal(new IPAddress(v6[2..6])))  // 6to4 wrapping an internal IPv4
            || (v6[..12].SequenceEqual(Nat64Prefix) && IsInternal(new IPAddress(v6[12..])));
    }

    /// <summary>64:ff9b::/96, the well-known NAT64 prefix, which can wrap an internal IPv4 address.</summary>
    private static ReadOnlySpan<byte> Nat64Prefix => [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0];
}
