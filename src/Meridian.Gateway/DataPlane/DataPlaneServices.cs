using Meridian.Gateway.Auth;
using Meridian.Gateway.Records;
using Meridian.Gateway.Receipts;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// The data plane of a node: the Anthropic-compatible routes under <c>/v1</c> and <c>/anthropic/v1</c>, the request
/// records they leave (<see cref="RecordWriter"/>), and reading receipts back.
/// </summary>
public static class DataPlaneServices
{
    public const string ReceiptKeyPath = "/.well-known/meridian-receipt-key";

    public static IServiceCollection AddDataPlane(this IServiceCollection services, string dataDirectory, string? receiptSigningKey)
    {
        services.AddSingleton(_ => ReceiptSigner.LoadOrCreate(dataDirectory, receiptSigningKey));
        services.AddSingleton<RecordWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordWriter>());
        services.AddSingleton<AuthFailureThrottle>();
        services.AddSingleton<BodyMemoryBudget>();
        services.AddSingleton<KeyConcurrency>();
        services.AddSingleton<NodeConcurrency>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<KeyHashMover>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyHashMover>());
        services.AddSingleton<RequestRecordBuilder>();
        services.AddSingleton<MessagesEndpoint>();
        services.AddSingleton<ModelsEndpoint>();
        services.AddSingleton<ReceiptsEndpoint>();
        services.AddSingleton<ReceiptListEndpoint>();
        services.AddSingleton<ReceiptLogEndpoints>();
        services.AddSingleton<ReceiptLogTiles>();
        return services;
    }

    public static void MapDataPlane(this IEndpointRouteBuilder app)
    {
        app.MapGet(ReceiptKeyPath, (HttpContext c, ReceiptListEndpoint e) => e.PublicKeyAsync(c));
        foreach (var prefix in new[] { "/v1", "/anthropic/v1" })
        {
            var group = app.MapGroup(prefix);
            group.MapPost("/messages", (HttpContext c, MessagesEndpoint e) => e.CreateAsync(c));
            group.MapPost("/messages/count_tokens", (HttpContext c, MessagesEndpoint e) => e.CountTokensAsync(c));
            group.MapGet("/models", (HttpContext c, ModelsEndpoint e) => e.ListAsync(c));
            group.MapGet("/models/{id}", (HttpContext c, string id, ModelsEndpoint e) => e.GetAsync(c, id));
            group.MapGet("/receipts", (HttpContext c, ReceiptListEndpoint e) => e.ListAsync(c));
            group.MapGet("/receipts/{requestId}", (HttpContext c, string requestId, ReceiptsEndpoint e) => e.GetAsync(c, requestId));
            group.MapGet("/receipt-logs", (HttpContext c, ReceiptLogEndpoints e) => e.ListLogsAsync(c));
            group.MapGet("/receipt-logs/{logId}/tree-heads", (HttpContext c, string logId, ReceiptLogEndpoints e) => e.ListTreeHeadsAsync(c, logId));
            group.MapGet("/receipt-logs/{logId}/consistency", (HttpContext c, string logId, ReceiptLogEndpoints e) => e.ConsistencyAsync(c, logId));
            group.MapGet("/receipt-logs/{logId}/checkpoint", (HttpContext c, string logId, ReceiptLogTiles e) => e.CheckpointAsync(c, logId));
            group.MapGet("/receipt-logs/{logId}/tile/{**path}", (HttpContext c, string logId, string path, ReceiptLogTiles e) => e.TileAsync(c, logId, path));
        }
    }
}
