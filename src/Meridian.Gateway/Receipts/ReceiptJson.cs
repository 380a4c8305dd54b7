using System.Text.Json.Serialization;
using Meridian.Core.Receipts;

namespace Meridian.Gateway.Receipts;

/// <summary>A receipt's JSON as served and as its signature's canonical form is derived from it (snake_case members).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Receipt))]
internal sealed partial class ReceiptJsonContext : JsonSerializerContext;
