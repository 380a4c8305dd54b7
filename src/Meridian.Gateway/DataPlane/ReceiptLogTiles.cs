using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Meridian.Core.Receipts;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Gateway.Receipts;
using Meridian.Protocol.Errors;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// The receipt logs in C2SP <c>tlog-tiles</c> form, a documented subset (docs/receipts.md, "Tiles"):
/// <c>GET /v1/receipt-logs/{log}/checkpoint</c>, the latest signed tree head as a C2SP checkpoint (a signed note), and
/// <c>GET /v1/receipt-logs/{log}/tile/{L}/{N}[.p/{W}]</c>, hash tiles. Entry bundles (<c>tile/entries/…</c>) are not
/// served: entries are receipts and access records, each readable only by its tenant through the receipts API. Tiles are
/// computed on read from the stored leaf hashes up to the latest signed tree head, so a tile never shows a leaf that no
/// signed head covers. Any valid API key reads them, like the log's other endpoints (hashes only).
/// </summary>
internal sealed class ReceiptLogTiles(ApiKeyAuthenticator authenticator, GeographyStores stores, ReceiptSigner signer)
{
    /// <summary>Hashes in a full tile (C2SP tlog-tiles: tile height 8).</summary>
    public const int TileWidth = 256;

    private const int TileHeight = 8;

    /// <summary>The highest tile level served: level 7 holds subtrees of 2^56 leaves, more than a log can hold.</summary>
    private const int MaxLevel = 7;

    public async Task CheckpointAsync(HttpContext context, string logId)
    {
        if (await LogAsync(context, logId) is not { } log)
        {
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(Checkpoint(signer, logId, log.Head.TreeSize, log.Head.RootHash), context.RequestAborted);
    }

    public async Task TileAsync(HttpContext context, string logId, string path)
    {
        if (await LogAsync(context, logId) is not { } log)
        {
            return;
        }

        if (path.StartsWith("entries/", StringComparison.Ordinal))
        {
            await ErrorResponses.WriteAsync(context, ApiError.NotFound(
                "Entry bundles are not served: a log's entries are receipts and access records, each readable only by its tenant (GET /v1/receipts/{id})."));
            return;
        }

        if (!TryParseTilePath(path, out var level, out var index, out var width))
        {
            await ErrorResponses.WriteAsync(context, ApiError.InvalidRequest(
                $"'{path}' is not a tile path: tile/<L>/<N>[.p/<W>] with L from 0 to {MaxLevel}, N in 3-digit path elements (x001/234), W from 1 to 255."));
            return;
        }

        var (store, head) = log;
        byte[]? tile;
        try
        {
            tile = Tile(store.LeafSource(logId, head.TreeSize), head.TreeSize, level, index, width);
        }
        catch (LogGapException gap)
        {
            await ErrorResponses.WriteAsync(context, ApiError.Internal(gap.Message));
            return;
        }

        if (tile is null)
        {
            await ErrorResponses.WriteAsync(context, ApiError.NotFound($"Log {logId} at its signed size {head.TreeSize} has no tile {path}."));
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(tile, context.RequestAborted);
    }

    /// <summary>The checkpoint's origin line, also the name of the key that signs its note.</summary>
    public static string Origin(string logId) => $"meridian.receipt-log/{logId}";

    /// <summary>
    /// A C2SP checkpoint of <paramref name="logId"/> at <paramref name="size"/> and <paramref name="root"/>: the note
    /// text (origin, size, base64 root, each on its line) and one Ed25519 signature line by the receipt key, named by
    /// <see cref="Origin"/>. The text starts with the origin, never with a receipt's <c>{</c> or a tree head's tag, so the
    /// signature can pass for neither.
    /// </summary>
    public static string Checkpoint(ReceiptSigner signer, string logId, long size, byte[] root)
    {
        var name = Origin(logId);
        var text = $"{name}\n{size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(root)}\n";
        var signature = Convert.FromBase64String(signer.SignData(Encoding.UTF8.GetBytes(text)));
        return $"{text}\n\u2014 {name} {Convert.ToBase64String([.. KeyHash(name, signer.PublicKey), .. signature])}\n";
    }

    /// <summary>The C2SP signed-note key hash of an Ed25519 key: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).</summary>
    public static byte[] KeyHash(string name, ReadOnlySpan<byte> publicKey) =>
        SHA256.HashData([.. Encoding.UTF8.GetBytes(name), 0x0A, 0x01, .. publicKey])[..4];

    /// <summary>The verifier key a note verifier is given: <c>name+hex(key hash)+base64(0x01 ‖ public key)</c>.</summary>
    public static string VerifierKey(string logId, ReadOnlySpan<byte> publicKey)
    {
        var name = Origin(logId);
        return $"{name}+{Convert.ToHexStringLower(KeyHash(name, publicKey))}+{Convert.ToBase64String([0x01, .. publicKey])}";
    }

    /// <summary>
    /// The hash tile at <paramref name="level"/> and <paramref name="index"/> of a tree of <paramref name="size"/> leaves,
    /// its first <paramref name="width"/> hashes: hash j is the root of the subtree of leaves
    /// [(256·N + j)·2^(8L), (256·N + j + 1)·2^(8L)). Null when the tree does not have that many complete subtrees there.
    /// </summary>
    public static byte[]? Tile(ISubtreeSource leaves, long size, int level, long index, int width)
    {
        var height = TileHeight * level;
        var complete = size >> height;
        if (index > (complete / TileWidth) || complete - (index * TileWidth) < width)
        {
            return null;
        }

        var tile = new byte[width * MerkleTree.HashSize];
        for (var j = 0; j < width; j++)
        {
            var start = ((index * TileWidth) + j) << height;
            leaves.Subtree(start, start + (1L << height)).CopyTo(tile, j * MerkleTree.HashSize);
        }

        return tile;
    }

    /// <summary>The path of a tile under <c>tile/</c>: <c>L/N</c> with N in zero-padded 3-digit elements, all but the last prefixed <c>x</c>; <c>.p/W</c> when partial.</summary>
    public static string TilePath(int level, long index, int width)
    {
        var digits = index.ToString(CultureInfo.InvariantCulture);
        digits = digits.PadLeft((digits.Length + 2) / 3 * 3, '0');
        var elements = Enumerable.Range(0, digits.Length / 3).Select(i => (i < (digits.Length / 3) - 1 ? "x" : string.Empty) + digits.Substring(i * 3, 3));
        var path = $"{level.ToString(CultureInfo.InvariantCulture)}/{string.Join('/', elements)}";
        return width == TileWidth ? path : $"{path}.p/{width.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Reads a tile path as <see cref="TilePath"/> writes it; any other spelling of the same tile is refused.</summary>
    public static bool TryParseTilePath(string path, out int level, out long index, out int width)
    {
        level = 0;
        index = 0;
        width = TileWidth;
        var parts = path.Split('/');
        // Level, up to 7 index elements (N < 10^21 covers every long), and an optional width.
        if (parts.Length is < 2 or > 10 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out level) || level > MaxLevel)
        {
            return false;
        }

        var last = parts.Length - 1;
        if (parts.Length >= 3 && parts[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            if (!int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out width) || width is < 1 or >= TileWidth)
            {
                return false;
            }

            last--;
            parts[last] = parts[last][..^2];
        }

        for (var i = 1; i <= last; i++)
        {
            var element = i < last && parts[i].StartsWith('x') ? parts[i][1..] : parts[i];
            if (element.Length != 3 || !int.TryParse(element, NumberStyles.None, CultureInfo.InvariantCulture, out var group) || index > (long.MaxValue - group) / 1000)
            {
                return false;
            }

            index = (index * 1000) + group;
        }

        return string.Equals(path, TilePath(level, index, width), StringComparison.Ordinal);
    }

    private async Task<(ReceiptStore Store, StoredTreeHead Head)?> LogAsync(HttpContext context, string logId)
    {
        if (!authenticator.TryAuthenticate(context.Request, out _, out var error))
        {
            await ErrorResponses.WriteAsync(context, error);
            return null;
        }

        foreach (var store in stores.All)
        {
            if (store.LatestTreeHead(logId) is { } head)
            {
                return (store, head);
            }
        }

        await ErrorResponses.WriteAsync(context, ApiError.NotFound($"No receipt log with id '{logId}'."));
        return null;
    }
}
