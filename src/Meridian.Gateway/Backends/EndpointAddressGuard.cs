using System.Net;
using System.Net.Sockets;
using Meridian.Gateway.Configuration;
using Meridian.Protocol.Messages;

namespace Meridian.Gateway.Backends;

/// <summary>
/// Keeps URLs set through the admin API (publisher endpoints) from pointing the gateway at the operator's own network:
/// loopback, private, link-local, cloud metadata, unspecified, multicast and reserved addresses
/// (<see cref="InternalAddresses"/>) are refused unless the operator allowed their range
/// (<see cref="GatewayOptions.AllowedBackendNetworks"/>, <c>--allow-backend-network</c>). Checked twice: when the URL is
/// set (400 naming the field; a name that does not resolve then is let through) and at every connection, so a name that
/// later resolves inside (DNS rebinding) still reaches nothing there. Backends from the operator's config file or
/// <c>--upstream</c>, and classifier URLs, are the operator's own choice and are not held to it. Thread-safe.
/// </summary>
internal sealed class EndpointAddressGuard(GatewayOptions options)
{
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Whether an upstream at <paramref name="address"/> may be reached.</summary>
    public bool Allows(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return !InternalAddresses.Contains(address) || options.AllowedBackendNetworks.Any(network => network.Contains(address));
    }

    /// <summary>Why <paramref name="url"/> may not be set (without the field name), or null when it may.</summary>
    public async Task<string?> RefusalAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return null; // its shape is judged with the other fields
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ResolveTimeout);
            try
            {
                addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, timeout.Token);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return null; // not resolvable now: every connection checks again what it resolves to
            }
        }

        return addresses.FirstOrDefault(a => !Allows(a)) is { } refused
            ? $"points at {refused}, a loopback, private, link-local, metadata, unspecified or multicast address; "
              + "an operator who runs this endpoint inside its own network allows the range with --allow-backend-network"
            : null;
    }

    /// <summary>
    /// The connection step of the publisher endpoints' handler: resolves the host and connects only to addresses it
    /// <see cref="Allows"/>; when none is left, the connection fails as unreachable (the request fails closed, 503).
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(Allows).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                $"'{host}' resolves only to internal addresses, which publisher endpoints may not reach (--allow-backend-network).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
