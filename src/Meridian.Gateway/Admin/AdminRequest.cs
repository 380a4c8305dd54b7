using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>Reads what admin requests carry: JSON bodies, paging parameters and If-Match, each failure as a problem.</summary>
internal static class AdminRequest
{
    /// <summary>Admin bodies are small; anything larger is refused before it is buffered.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>
    /// Reads a JSON body into <typeparamref name="T"/>. An empty body reads as <paramref name="empty"/> when given
    /// (optional bodies), else it is a 400. Malformed JSON, a wrong type or an unknown field is a 400 naming the field.
    /// </summary>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, T? empty = null)
        where T : class
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return (null, AdminProblems.TooLarge($"Admin request bodies are limited to {MaxBodyBytes} bytes."));
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length == 0 || IsWhitespace(buffer))
        {
            return empty is not null
                ? (empty, null)
                : (null, AdminProblems.Validation("body", "a JSON object is required"));
        }

        try
        {
            var value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), typeInfo);
            return value is null ? (null, AdminProblems.Validation("body", "must be a JSON object, not null")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, AdminProblems.Validation(FieldOf(ex.Path), Describe(ex)));
        }
    }

    /// <summary>Reads <c>limit</c> (1–200, default 50) and the opaque <c>cursor</c>.</summary>
    /// <summary>An optional RFC 3339 time in the query (<c>from=2026-11-01T00:00:00Z</c>); null when absent.</summary>
    public static bool TryReadTime(HttpContext context, string name, out DateTimeOffset? value, out ProblemHttpResult? problem)
    {
        problem = null;
        value = null;
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            value = time;
            return true;
        }

        problem = AdminProblems.Validation(name, "must be an RFC 3339 time, such as 2026-11-01T00:00:00Z");
        return false;
    }

    public static bool TryReadPage(HttpContext context, out PageRequest page, out ProblemHttpResult? problem)
    {
        page = default;
        problem = null;
        var query = context.Request.Query;
        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            problem = AdminProblems.Validation("limit", $"must be a whole number from 1 to {MaxLimit}");
            return false;
        }

        string? after = null;
        if (query.TryGetValue("cursor", out var cursorText) && cursorText.ToString() is { Length: > 0 } cursor)
        {
            after = DecodeCursor(cursor);
            if (after is null)
            {
                problem = AdminProblems.Validation("cursor", "is not a cursor this API returned");
                return false;
            }
        }

        page = new PageRequest(limit, after);
        return true;
    }

    public static ListResponse<TView> List<TItem, TView>(Page<TItem> page, Func<TItem, TView> map) =>
        new([.. page.Items.Select(map)], page.NextAfter is { } after ? EncodeCursor(after) : null);

    /// <summary>
    /// Parses <c>If-Match</c>: absent → no condition; <c>"N"</c> (or <c>W/"N"</c>) → version N; <c>*</c> → any existing version.
    /// </summary>
    public static bool TryReadIfMatch(HttpContext context, out IfMatch ifMatch, out ProblemHttpResult? problem)
    {
        ifMatch = IfMatch.None;
        problem = null;
        var header = context.Request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0)
        {
            return true;
        }

        if (header == "*")
        {
            ifMatch = new IfMatch(true, null);
            return true;
        }

        var tag = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        if (tag.Length >= 3 && tag[0] == '"' && tag[^1] == '"'
            && long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            ifMatch = new IfMatch(true, version);
            return true;
        }

        problem = AdminProblems.PreconditionFailed($"If-Match must be an ETag this API returned, such as \"3\", or *; got {header}.");
        return false;
    }

    public static void SetETag(HttpContext context, long version) =>
        context.Response.Headers.ETag = "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    internal static string EncodeCursor(string after) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("after:" + after)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static string? DecodeCursor(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            return text.StartsWith("after:", StringComparison.Ordinal) && text.Length > 6 ? text[6..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool IsWhitespace(MemoryStream buffer)
    {
        foreach (var b in buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>$.capacity.rpm</c> → <c>capacity.rpm</c>; <c>$</c> → <c>body</c>.</summary>
    private static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        // System.Text.Json writes unusual names as $['name']; keep them readable.
        return field.Replace("['", ".", StringComparison.Ordinal).Replace("']", string.Empty, StringComparison.Ordinal).TrimStart('.');
    }

    private static string Describe(JsonException ex)
    {
        // The exception message is System.Text.Json's, about types and positions; it never echoes the body.
        var message = ex.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return "is not a field of this request";
        }

        if (message.StartsWith("Duplicate property", StringComparison.Ordinal))
        {
            return "is given twice";
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return "has the wrong JSON type or format for this field";
        }

        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return "is not valid JSON: " + (cut > 0 ? message[..cut] : message);
    }
}

/// <summary>An <c>If-Match</c> condition: none, any existing version (<c>*</c>), or one version.</summary>
internal readonly record struct IfMatch(bool Present, long? Version)
{
    public static IfMatch None => default;
}
