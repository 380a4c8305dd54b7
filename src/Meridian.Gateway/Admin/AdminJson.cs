using System.Text.Json.Serialization;

namespace Meridian.Gateway.Admin;

// The admin API's wire shapes live in Meridian.Admin.Contract (shared with the CLI; the portal's types are generated
// from the OpenAPI document). The gateway reads requests strictly: unknown fields are refused with a 400 naming them,
// so a misspelt "acknowledge_data_may_leave_geography" never silently reads as false.

/// <summary>Source-generated metadata for every admin wire shape; snake_case, strict on input.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    MaxDepth = 32)]
[JsonSerializable(typeof(ListResponse<RegionView>))]
[JsonSerializable(typeof(ListResponse<PublisherView>))]
[JsonSerializable(typeof(ListResponse<OfferView>))]
[JsonSerializable(typeof(ListResponse<TermsDocumentView>))]
[JsonSerializable(typeof(ListResponse<AcceptanceView>))]
[JsonSerializable(typeof(ListResponse<TenantView>))]
[JsonSerializable(typeof(ListResponse<SubscriptionView>))]
[JsonSerializable(typeof(ListResponse<ResourceView>))]
[JsonSerializable(typeof(ListResponse<DeploymentView>))]
[JsonSerializable(typeof(ListResponse<KeyView>))]
[JsonSerializable(typeof(ListResponse<TokenView>))]
[JsonSerializable(typeof(ListResponse<AuditView>))]
[JsonSerializable(typeof(WhoAmIResponse))]
[JsonSerializable(typeof(SignInOptionsView))]
[JsonSerializable(typeof(OidcSignInRequest))]
[JsonSerializable(typeof(SignInSessionView))]
[JsonSerializable(typeof(WorldResponse))]
[JsonSerializable(typeof(RegionView))]
[JsonSerializable(typeof(PutRegionRequest))]
[JsonSerializable(typeof(PublisherView))]
[JsonSerializable(typeof(CreatePublisherRequest))]
[JsonSerializable(typeof(OfferView))]
[JsonSerializable(typeof(CreateOfferRequest))]
[JsonSerializable(typeof(PatchOfferRequest))]
[JsonSerializable(typeof(OfferRetentionRequest))]
[JsonSerializable(typeof(PublishTermsRequest))]
[JsonSerializable(typeof(TenantView))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(SubscriptionView))]
[JsonSerializable(typeof(SubscribeRequest))]
[JsonSerializable(typeof(ResourceView))]
[JsonSerializable(typeof(CreateResourceRequest))]
[JsonSerializable(typeof(DeploymentView))]
[JsonSerializable(typeof(CreateDeploymentRequest))]
[JsonSerializable(typeof(UpdateDeploymentRequest))]
[JsonSerializable(typeof(KeyView))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(RotateKeyRequest))]
[JsonSerializable(typeof(TokenView))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(EmptyRequest))]
[JsonSerializable(typeof(AuditView))]
[JsonSerializable(typeof(ListResponse<ModelDefaultView>))]
[JsonSerializable(typeof(ModelDefaultView))]
[JsonSerializable(typeof(SetModelDefaultRequest))]
[JsonSerializable(typeof(SetAllowedIngressRequest))]
[JsonSerializable(typeof(ListResponse<SuspensionView>))]
[JsonSerializable(typeof(SuspensionView))]
[JsonSerializable(typeof(LiftSuspensionRequest))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
