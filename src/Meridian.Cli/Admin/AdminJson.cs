using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Admin.Contract;
using Meridian.Core.Receipts;

namespace Meridian.Cli.Admin;

// The CLI reads and sends the admin API's own wire shapes (Meridian.Admin.Contract, and the boundary report of
// Meridian.Core), so the two cannot drift. It reads them leniently, unlike the gateway: fields a newer gateway adds are
// ignored, so this CLI keeps working against it; --json prints the answer as it came, not as parsed.

/// <summary>RFC 9457 problem details with the per-field <c>errors</c> the admin API adds.</summary>
internal sealed record ApiProblem(
    string? Type,
    string? Title,
    int? Status,
    string? Detail,
    Dictionary<string, string[]>? Errors);

/// <summary>
/// Absent and null read the same to the gateway, so requests leave out what the command was not given; a deployment
/// update's <c>safeguards</c> is the exception (JSON <c>null</c> removes them), which its own attribute keeps.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(WorldResponse))]
[JsonSerializable(typeof(OfferView))]
[JsonSerializable(typeof(ListResponse<OfferView>))]
[JsonSerializable(typeof(ListResponse<TermsDocumentView>))]
[JsonSerializable(typeof(TenantView))]
[JsonSerializable(typeof(ListResponse<TenantView>))]
[JsonSerializable(typeof(SubscriptionView))]
[JsonSerializable(typeof(ListResponse<SubscriptionView>))]
[JsonSerializable(typeof(ResourceView))]
[JsonSerializable(typeof(ListResponse<ResourceView>))]
[JsonSerializable(typeof(DeploymentView))]
[JsonSerializable(typeof(ListResponse<DeploymentView>))]
[JsonSerializable(typeof(KeyView))]
[JsonSerializable(typeof(ListResponse<KeyView>))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(SubscribeRequest))]
[JsonSerializable(typeof(CreateResourceRequest))]
[JsonSerializable(typeof(CreateDeploymentRequest))]
[JsonSerializable(typeof(UpdateDeploymentRequest))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(RotateKeyRequest))]
[JsonSerializable(typeof(DeploymentPlanView))]
[JsonSerializable(typeof(BoundaryReportView))]
[JsonSerializable(typeof(InvoiceView))]
[JsonSerializable(typeof(SettlementView))]
[JsonSerializable(typeof(CaseView))]
[JsonSerializable(typeof(ListResponse<CaseView>))]
[JsonSerializable(typeof(OpenCaseRequest))]
[JsonSerializable(typeof(OpenCaseResponse))]
[JsonSerializable(typeof(DecideCaseRequest))]
[JsonSerializable(typeof(EscalateCaseRequest))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
