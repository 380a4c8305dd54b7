using System.Text;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;

namespace Meridian.Protocol.Tests.Messages;

internal static class ParseHelper
{
    /// <summary>A body with the given messages array (JSON) and extra top-level members.</summary>
    public static string Body(string messages, string extra = "") =>
        $$$"""{"model":"claude-test","max_tokens":1024,"messages":{{{messages}}}{{{(extra.Length > 0 ? "," + extra : "")}}}}""";

    public static string UserSays(string content) => $$$"""[{"role":"user","content":{{{content}}}}]""";

    public static MessagesRequest Ok(string json)
    {
        var ok = MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes(json), isCountTokens: false, out var request, out var error);
        Assert.True(ok, $"expected the body to be accepted, but got: {error?.Message}");
        return request!;
    }

    /// <summary>Asserts a 400 invalid_request_error whose message starts with the field path; returns the message.</summary>
    public static string Fails(string json, string path)
    {
        var ok = MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes(json), isCountTokens: false, out var request, out var error);
        request?.Dispose();
        Assert.False(ok, "expected the body to be refused, but it was accepted");
        Assert.Equal(400, error!.Status);
        Assert.Equal(ErrorTypes.InvalidRequest, error.Type);
        Assert.StartsWith(path + ":", error.Message, StringComparison.Ordinal);
        return error.Message;
    }

    public static string Image(string mediaType, byte[] bytes) =>
        $$$"""{"type":"image","source":{"type":"base64","media_type":"{{{mediaType}}}","data":"{{{Convert.ToBase64String(bytes)}}}"}}""";

    public static string Pdf(byte[] bytes) =>
        $$$"""{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"{{{Convert.ToBase64String(bytes)}}}"}}""";

    public static string UrlImage(string url) => $$$"""{"type":"image","source":{"type":"url","url":"{{{url}}}"}}""";
}
