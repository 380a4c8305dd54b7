using Meridian.Protocol.Messages;

namespace Meridian.Gateway.Backends;

/// <summary>
/// What of a client's HTTP request, beside its body, an Anthropic upstream must see as it came: the betas it opted
/// into, the API version it speaks, and its query string. Nothing else is copied: keys, cookies and the rest of the
/// client's headers stay at the gateway. Stateless and thread-safe.
/// </summary>
internal static class ClientHeaders
{
    public static ClientPassThrough PassThroughOf(HttpRequest request)
    {
        var beta = request.Headers["anthropic-beta"];
        var version = request.Headers["anthropic-version"];
        var query = request.QueryString.Value ?? string.Empty;
        if (beta.Count == 0 && version.Count == 0 && query.Length == 0)
        {
            return ClientPassThrough.None;
        }

        // Several anthropic-beta headers mean the same as one comma-separated list, which is how they travel on.
        return new ClientPassThrough(beta.Count == 0 ? null : string.Join(',', beta.ToArray()), version.Count == 0 ? null : version[0], query);
    }
}
