using System.Collections.Frozen;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace Meridian.Gateway.Portal;

/// <summary>
/// The portal's files, read once into memory (the whole app is well under a megabyte) with their gzip form, content
/// type and ETag: an immutable model, so serving takes no lock and touches no disk.
/// </summary>
/// <remarks>
/// Caching: Vite names everything under <c>assets/</c> by content hash, so those are cached for a year as immutable;
/// <c>index.html</c> and the few unhashed files are revalidated on every load (<c>no-cache</c> + ETag → 304), so a new
/// build is picked up at once. Any other path without a file extension is a route of the single-page app and gets
/// <c>index.html</c>; a missing file (a path with an extension) is a 404, never HTML that a script tag would choke on.
/// </remarks>
internal sealed class PortalAssets
{
    private const string IndexFile = "index.html";
    private const string ImmutableCache = "public, max-age=31536000, immutable";
    private const string RevalidateCache = "no-cache";

    // The portal only talks to its own origin (admin API, receipts) and loads nothing from elsewhere.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".mjs"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".json"] = "application/json",
        [".map"] = "application/json",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
        [".webp"] = "image/webp",
        [".woff2"] = "font/woff2",
        [".txt"] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly byte[] NotBuiltText = Encoding.UTF8.GetBytes(
        "The Meridian web portal is not built into this gateway: Node.js/npm were missing when it was built.\n" +
        "Install Node.js 20.19+ and npm, rebuild (./build.sh build), and restart. The admin API (/admin/v1) and the CLI work without it.\n");

    private static readonly byte[] NotFoundText = Encoding.UTF8.GetBytes("Not found.\n");

    private readonly FrozenDictionary<string, Asset> _files;
    private readonly Asset? _index;

    private PortalAssets(FrozenDictionary<string, Asset> files)
    {
        _files = files;
        _index = files.GetValueOrDefault(IndexFile);
    }

    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, IndexFile));

    public static PortalAssets Load(string folder)
    {
        var files = new Dictionary<string, Asset>(StringComparer.Ordinal);
        if (Exists(folder))
        {
            foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(folder, path).Replace('\\', '/');
                if (relative.StartsWith('.'))
                {
                    continue; // build stamps and other dot files are not part of the app
                }

                files[relative] = Asset.Create(relative, File.ReadAllBytes(path));
            }
        }

        return new PortalAssets(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public Task WriteAsync(HttpContext context, string? path)
    {
        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        if (_index is null)
        {
            return WriteTextAsync(context, StatusCodes.Status404NotFound, NotBuiltText);
        }

        path ??= string.Empty;
        if (!_files.TryGetValue(path, out var asset))
        {
            if (Path.HasExtension(path))
            {
                return WriteTextAsync(context, StatusCodes.Status404NotFound, NotFoundText);
            }

            asset = _index; // a route of the app: /portal, /portal/tenant/keys, …
        }

        return asset.WriteAsync(context);
    }

    private static Task WriteTextAsync(HttpContext context, int status, byte[] text)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.ContentLength = text.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(text, context.RequestAborted).AsTask();
    }

    private sealed class Asset(byte[] content, byte[]? gzip, string contentType, string etag, bool immutable, bool html)
    {
        public static Asset Create(string relativePath, byte[] content)
        {
            var contentType = ContentTypes.GetValueOrDefault(Path.GetExtension(relativePath), "application/octet-stream");
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            var immutable = relativePath.StartsWith("assets/", StringComparison.Ordinal);
            return new Asset(content, Gzip(content, contentType), contentType, etag, immutable, contentType.StartsWith("text/html", StringComparison.Ordinal));
        }

        public Task WriteAsync(HttpContext context)
        {
            var request = context.Request;
            var response = context.Response;
            response.ContentType = contentType;
            response.Headers.CacheControl = immutable ? ImmutableCache : RevalidateCache;
            response.Headers.ETag = etag;
            if (html)
            {
                response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                response.Headers["Referrer-Policy"] = "no-referrer";
            }

            if (gzip is not null)
            {
                response.Headers.Vary = "Accept-Encoding";
            }

            if (request.Headers.IfNoneMatch.Any(value => value is not null && (value == "*" || value.Contains(etag, StringComparison.Ordinal))))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }

            var body = content;
            if (gzip is not null && AcceptsGzip(request))
            {
                response.Headers.ContentEncoding = "gzip";
                body = gzip;
            }

            response.ContentLength = body.Length;
            return HttpMethods.IsHead(request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, context.RequestAborted).AsTask();
        }

        private static bool AcceptsGzip(HttpRequest request) =>
            StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptEncoding, out var codings)
            && codings.Any(c => (c.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) || c.Value.Equals("*", StringComparison.Ordinal)) && c.Quality is not 0);

        /// <summary>The gzip form of a text file, when it is worth it (images and fonts are compressed already).</summary>
        private static byte[]? Gzip(byte[] content, string contentType)
        {
            var text = contentType.StartsWith("text/", StringComparison.Ordinal) || contentType is "application/json" or "image/svg+xml";
            if (!text || content.Length < 1024)
            {
                return null;
            }

            using var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(content);
            }

            return buffer.Length < content.Length * 9 / 10 ? buffer.ToArray() : null;
        }
    }
}
