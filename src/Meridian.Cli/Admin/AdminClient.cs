using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Meridian.Admin.Contract;

namespace Meridian.Cli.Admin;

/// <summary>An answer of the admin API: the parsed object for display and the JSON as it came, for <c>--json</c>.</summary>
internal sealed record AdminResult<T>(T Value, string Json);

/// <summary>
/// The admin API (<c>/admin/v1</c>, docs/admin-api.md) over one <see cref="HttpClient"/>. Every failure becomes one of
/// two exceptions the commands turn into one readable line: <see cref="AdminApiException"/> (the server answered with
/// an error) or <see cref="AdminConnectionException"/> (it could not be reached). One instance per command invocation.
/// </summary>
internal sealed class AdminClient
{
    /// <summary>The largest page the contract allows; lists are read whole, so fewer round trips is better.</summary>
    private const int PageSize = 200;

    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _http;
    private readonly string? _token;

    public AdminClient(HttpClient http, Uri gatewayUrl, string? token)
    {
        _http = http;
        _token = token;
        GatewayUrl = gatewayUrl.AbsoluteUri.EndsWith('/') ? gatewayUrl : new Uri(gatewayUrl.AbsoluteUri + "/");
    }

    /// <summary>The gateway's base URL, always with a trailing slash.</summary>
    public Uri GatewayUrl { get; }

    public bool HasToken => _token is not null;

    /// <summary>Builds <c>admin/v1/…</c> from literal parts and caller-supplied ids, escaping the ids.</summary>
    public static string Path(params string[] segments) =>
        "admin/v1/" + string.Join('/', segments.Select(Uri.EscapeDataString));

    public async Task<AdminResult<T>> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var json = await SendAsync(HttpMethod.Get, path, content: null, cancellationToken);
        return new AdminResult<T>(Deserialize(json, type), json);
    }

    public async Task<AdminResult<T>> PostAsync<TBody, T>(
        string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, bodyType));
        content.Headers.ContentType = JsonMediaType;
        var json = await SendAsync(HttpMethod.Post, path, content, cancellationToken);
        return new AdminResult<T>(Deserialize(json, type), json);
    }

    public async Task<AdminResult<T>> PatchAsync<TBody, T>(
        string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, bodyType));
        content.Headers.ContentType = JsonMediaType;
        var json = await SendAsync(HttpMethod.Patch, path, content, cancellationToken);
        return new AdminResult<T>(Deserialize(json, type), json);
    }

    /// <summary>A POST without a body (revoke). Returns the answer's JSON, which may be empty.</summary>
    public Task<string> PostAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, content: null, cancellationToken);

    /// <summary>
    /// Reads every page of a list and returns the items with one JSON document in the API's own list shape
    /// (<c>{"data":[all items],"next_cursor":null}</c>), so <c>--json</c> output looks like one page holding everything.
    /// </summary>
    public async Task<AdminResult<IReadOnlyList<T>>> ListAsync<T>(string path, JsonTypeInfo<ListResponse<T>> type, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        var raw = new JsonArray();
        var seenCursors = new HashSet<string>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            // The path may carry filters of its own (?status=open).
            var query = (path.Contains('?', StringComparison.Ordinal) ? "&" : "?")
                + (cursor is null ? $"limit={PageSize}" : $"limit={PageSize}&cursor={Uri.EscapeDataString(cursor)}");
            var json = await SendAsync(HttpMethod.Get, path + query, content: null, cancellationToken);
            var page = Deserialize(json, type);
            items.AddRange(page.Data ?? []);
            if (JsonNode.Parse(json)?["data"] is JsonArray data)
            {
                foreach (var item in data.ToArray())
                {
                    data.Remove(item);
                    raw.Add(item);
                }
            }

            // A server that hands out the same cursor twice would otherwise keep us here forever.
            cursor = page.NextCursor is { Length: > 0 } next && seenCursors.Add(next) ? next : null;
        }
        while (cursor is not null);

        var whole = new JsonObject { ["data"] = raw, ["next_cursor"] = null };
        return new AdminResult<IReadOnlyList<T>>(items, whole.ToJsonString());
    }

    private async Task<string> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        var url = new Uri(GatewayUrl, path);
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new AdminConnectionException(url, ex.InnerException?.Message ?? ex.Message, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AdminConnectionException(url, $"no answer within {_http.Timeout.TotalSeconds:0} s", ex);
        }

        using (response)
        {
            string body;
            try
            {
                body = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                throw new AdminConnectionException(url, "the connection closed before the answer was complete: " + ex.Message, ex);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new AdminApiException(response.StatusCode, ReadProblem(response.StatusCode, body), url);
            }

            return body;
        }
    }

    private static T Deserialize<T>(string json, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new AdminProtocolException("the answer was JSON null");
        }
        catch (JsonException ex)
        {
            throw new AdminProtocolException(ex.Message, ex);
        }
    }

    /// <summary>
    /// The admin API answers problem details; anything else (the data plane's Anthropic-style error from an older
    /// gateway, a proxy's HTML page) is reduced to its message or its status line.
    /// </summary>
    private static ApiProblem ReadProblem(HttpStatusCode status, string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                return new ApiProblem(null, null, (int)status, message.GetString(), null);
            }

            if (root.ValueKind == JsonValueKind.Object
                && root.Deserialize(AdminJsonContext.Default.ApiProblem) is { } problem
                && (problem.Title is not null || problem.Detail is not null || problem.Errors is { Count: > 0 }))
            {
                return problem;
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the status line.
        }

        return new ApiProblem(null, null, (int)status, null, null);
    }
}

/// <summary>The admin API answered with an error (problem details).</summary>
internal sealed class AdminApiException(HttpStatusCode status, ApiProblem problem, Uri url)
    : Exception(problem.Detail ?? problem.Title ?? status.ToString())
{
    public HttpStatusCode Status { get; } = status;

    public ApiProblem Problem { get; } = problem;

    public Uri Url { get; } = url;

    /// <summary>The problem code, the last segment of <c>type</c> (<c>validation</c>, <c>terms_not_accepted</c>, …), if any.</summary>
    public string? Code => Problem.Type is { Length: > 0 } type && type != "about:blank" ? type[(type.LastIndexOf('/') + 1)..] : null;

    public bool HasField(string field) => Problem.Errors?.ContainsKey(field) == true;
}

/// <summary>The gateway could not be reached (nothing listening, DNS, TLS, timeout).</summary>
internal sealed class AdminConnectionException(Uri url, string reason, Exception inner) : Exception(reason, inner)
{
    public Uri Url { get; } = url;

    public string Reason { get; } = reason;
}

/// <summary>The gateway answered 2xx with something that is not the contract's JSON.</summary>
internal sealed class AdminProtocolException : Exception
{
    public AdminProtocolException(string message)
        : base(message)
    {
    }

    public AdminProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
