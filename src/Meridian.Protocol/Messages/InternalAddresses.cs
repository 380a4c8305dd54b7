using System.Net;
using System.Net.Sockets;

namespace Meridian.Protocol.Messages;

/// <summary>
/// The addresses a request from the gateway must not reach on a caller's say-so: loopback, private (RFC 1918, unique
/// local), link-local and cloud metadata (169.254.169.254, fd00:ec2::254), carrier-grade NAT, unspecified, multicast and
/// reserved — also when wrapped in IPv4-mapped, 6to4 or NAT64 form. Used for URL sources and for URLs set through the
/// admin API (publisher endpoints). Stateless and thread-safe.
/// </summary>
public static class InternalAddresses
{
    public static bool Contains(IPAddress address)
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
            || (v6[0] == 0x20 && v6[1] == 0x02 && Contains(new IPAddress(v6[2..6])))  // 6to4 wrapping an internal IPv4
            || (v6[..12].SequenceEqual(Nat64Prefix) && Contains(new IPAddress(v6[12..])));
    }


    /// <summary>64:ff9b::/96, the well-known NAT64 prefix, which can wrap an internal IPv4 address.</summary>
    private static ReadOnlySpan<byte> Nat64Prefix => [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0];
}
