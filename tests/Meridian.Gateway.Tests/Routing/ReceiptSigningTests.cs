using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Core.Receipts;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Records;
using Meridian.Gateway.Tests.Receipts;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>
/// Receipts are the operator's: each is a leaf of the operator's receipt log under a tree head signed with Ed25519 (one
/// signature per batch, not per receipt); the public key is at <c>/.well-known/meridian-receipt-key</c>; a receipt
/// verifies offline, and any change to it fails verification. Receipts from before the log carry their own signature
/// and stay verifiable.
/// </summary>
public sealed class ReceiptSigningTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_receipt_verifies_with_the_published_key_and_a_tampered_one_does_not()
    {
        using var client = gateway.CreateHttpClient();
        var receipt = await SendAndFetchReceiptAsync(client);
        var key = await client.GetFromJsonAsync<JsonElement>(".well-known/meridian-receipt-key", Ct);
        var publicKey = Convert.FromBase64String(key.GetProperty("public_key").GetString()!);

        Assert.Equal("Ed25519", key.GetProperty("algorithm").GetString());
        Assert.Equal(JsonValueKind.Null, receipt.GetProperty("signature").ValueKind);
        Assert.Equal(key.GetProperty("key_id").GetString(), receipt.GetProperty("log").GetProperty("tree_head").GetProperty("signature").GetProperty("key_id").GetString());
        var verified = ReceiptVerifier.Verify(receipt, publicKey);
        Assert.True(verified.Valid, verified.Reason);
        Assert.NotNull(verified.Log);

        foreach (var (field, value) in new (string, JsonNode?)[] { ("processing_region", "swedencentral"), ("output_tokens", 0), ("tenant_id", "ten_other"), ("new_field", "x") })
        {
            var tampered = JsonNode.Parse(receipt.GetRawText())!.AsObject();
            tampered[field] = value;
            var result = ReceiptVerifier.Verify(JsonSerializer.Deserialize<JsonElement>(tampered.ToJsonString()), publicKey);
            Assert.False(result.Valid, $"changing {field} should break the receipt's leaf");
        }

        var forged = JsonNode.Parse(receipt.GetRawText())!.AsObject();
        forged["log"]!["tree_head"]!["signature"]!["value"] = Convert.ToBase64String(new byte[64]);
        Assert.False(ReceiptVerifier.Verify(JsonSerializer.Deserialize<JsonElement>(forged.ToJsonString()), publicKey).Valid);
        var unproven = JsonNode.Parse(receipt.GetRawText())!.AsObject();
        unproven["log"] = null;
        Assert.False(ReceiptVerifier.Verify(JsonSerializer.Deserialize<JsonElement>(unproven.ToJsonString()), publicKey).Valid, "without its proof a receipt proves nothing");
        Assert.False(ReceiptVerifier.Verify(receipt, new byte[32]).Valid);
    }

    [Fact]
    public async Task A_receipt_read_right_after_its_answer_is_already_in_the_log_and_names_who_received_which_data()
    {
        using var client = gateway.CreateHttpClient();
        // No waiting: a complete answer's last byte waits for its record's commit, so its receipt is in the log by then.
        var stored = await SendAndFetchReceiptAsync(client);
        var signer = gateway.App.Services.GetRequiredService<ReceiptSigner>();

        var verified = ReceiptVerifier.Verify(stored, signer.PublicKey);
        Assert.True(verified.Valid, verified.Reason + "\n" + stored);
        Assert.Equal(stored.GetProperty("request_id").GetString(), verified.RequestId);
        Assert.NotNull(verified.Log);

        var recipients = stored.GetProperty("data_recipients").EnumerateArray()
            .ToDictionary(r => r.GetProperty("party").GetString()!, r => r.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray());
        Assert.Equal(["content", "usage", "transaction", "contact"], recipients["operator"]);
        Assert.Equal(["usage", "transaction", "contact"], recipients["pub_anthropic"]);
    }

    [Fact]
    public async Task A_receipt_signed_before_the_log_is_served_with_its_signature_and_still_verifies()
    {
        using var client = gateway.CreateHttpClient();
        var signer = gateway.App.Services.GetRequiredService<ReceiptSigner>();
        var old = LegacyReceipts.Sign(signer, FullReceipt() with { RequestId = "req_" + Guid.NewGuid().ToString("N"), TenantId = GatewayFixture.TenantId, ResourceId = null });
        gateway.App.Services.GetRequiredService<Meridian.Storage.Geography.GeographyStores>().For("us").InsertBatch([old]);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{old.RequestId}");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
        using var response = await client.SendAsync(request, Ct);
        var served = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, served.GetProperty("log").ValueKind);
        var verified = ReceiptVerifier.Verify(served, signer.PublicKey);
        Assert.True(verified.Valid, verified.Reason);
        Assert.Contains("signed before the receipt log", verified.Reason, StringComparison.Ordinal);
        var edited = JsonNode.Parse(served.GetRawText())!.AsObject();
        edited["output_tokens"] = 1;
        Assert.False(ReceiptVerifier.Verify(JsonSerializer.Deserialize<JsonElement>(edited.ToJsonString()), signer.PublicKey).Valid);
    }

    [Fact]
    public void The_signing_key_is_kept_in_the_data_folder_with_owner_only_permissions_and_shared_by_nodes()
    {
        var file = Path.Combine(gateway.DataDirectory, ReceiptSigner.KeyFileName);
        var signer = gateway.App.Services.GetRequiredService<ReceiptSigner>();

        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using var again = ReceiptSigner.LoadOrCreate(gateway.DataDirectory, configured: null);
        Assert.Equal(signer.KeyId, again.KeyId);
        using var configured = ReceiptSigner.LoadOrCreate(gateway.DataDirectory, Convert.ToBase64String(new byte[32]));
        Assert.NotEqual(signer.KeyId, configured.KeyId);
    }

    [Fact]
    public void The_canonical_form_ignores_member_order_whitespace_and_nulls_but_not_values()
    {
        static byte[] Canonical(string json) => ReceiptCanonicalJson.Of(JsonDocument.Parse(json).RootElement);

        var a = Canonical("""{"b":1,"a":"x\u00e9","n":null,"signature":{"value":"zz"},"o":{"z":[1,null,{"y":true,"x":null}]}}""");
        var b = Canonical("""{ "o": {"z": [1, null, {"y": true}]}, "a": "xé", "b": 1 }""");

        Assert.Equal(b, a);
        Assert.Equal("""{"a":"xé","b":1,"o":{"z":[1,null,{"y":true}]}}""", System.Text.Encoding.UTF8.GetString(a));
        Assert.NotEqual(a, Canonical("""{"a":"xé","b":2,"o":{"z":[1,null,{"y":true}]}}"""));
    }

    [Fact]
    public void Canonical_bytes_written_from_a_receipts_fields_equal_those_read_back_from_its_json()
    {
        // The writer hashes the canonical bytes written from the record; a verifier reads them from the JSON it was
        // served. Any difference (a member missed or misordered, a number or a time spelled differently, an escape)
        // breaks verification — of the leaf, and of the signature of a receipt from before the log.
        var full = FullReceipt();
        Assert.All(typeof(Receipt).GetProperties().Where(p => p.Name != nameof(Receipt.Signature)),
            p => Assert.True(p.GetValue(full) is not null, $"the sample must set {p.Name}, so the canonical writer is held to it"));
        var receipts = new List<Receipt>
        {
            full,
            new() { RequestId = "req_1", CreatedAt = DateTimeOffset.UnixEpoch, TenantId = "t", KeyId = "k", IngressRegion = "eastus", StorageGeography = "us", Endpoint = "messages", Status = 401 },
            full with
            {
                RoutingFailure = "No backend \"inside\" the boundary:\n\ttab \u0001 \u001f <script>&'+` é 東京 🦀 " + new string('x', 600),
                ProcessingRegion = "São Paulo (declared) \\ \"quoted\"",
                DataRecipients = [new DataRecipient("pub_é", "publisher", ["usage"])],
                Attempts = [new RouteAttempt("b1", "r1", null, "platform", "http_503"), new RouteAttempt("b2", "r2", "eu", "pub_x", "ok")],
                CreatedAt = new DateTimeOffset(2026, 3, 1, 23, 59, 59, TimeSpan.FromHours(5.5)).AddTicks(1200),
                DurationMs = 1e-7,
            },
            full with { DurationMs = 12345.678901234567, CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) },
            full with { DurationMs = 0, Attempts = [], DataRecipients = [] },
        };

        using var signer = new ReceiptSigner(new byte[32]);
        foreach (var receipt in receipts)
        {
            var signed = LegacyReceipts.Sign(signer, receipt);
            var json = JsonSerializer.SerializeToUtf8Bytes(signed, ReceiptJsonContext.Default.Receipt);
            using var document = JsonDocument.Parse(json);
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(output))
            {
                ReceiptCanonicalJson.Write(writer, receipt);
            }

            Assert.Equal(System.Text.Encoding.UTF8.GetString(ReceiptCanonicalJson.Of(document.RootElement)), System.Text.Encoding.UTF8.GetString(output.WrittenSpan));
            Assert.True(ReceiptVerifier.Verify(document.RootElement, signer.PublicKey).Valid);
            Assert.Equal(MerkleTree.HashLeaf(ReceiptCanonicalJson.Of(document.RootElement)), ReceiptSigner.LeafHash(receipt));
        }
    }

    [Fact]
    public void A_stored_receipt_from_before_the_log_verifies_only_as_signed_and_any_edit_at_rest_is_caught()
    {
        using var signer = new ReceiptSigner(new byte[32]);
        using var other = new ReceiptSigner(Enumerable.Repeat((byte)7, 32).ToArray());
        var signed = LegacyReceipts.Sign(signer, FullReceipt());

        Assert.True(signer.Verifies(signed));
        Assert.False(signer.Verifies(signed with { ProcessingRegion = "westus" }));
        Assert.False(signer.Verifies(signed with { IngressOutsideBoundary = null }));
        Assert.False(signer.Verifies(signed with { DataRecipients = ReceiptBoundary.Recipients("pub_anthropic", []) }));
        Assert.False(signer.Verifies(signed with { Signature = null }));
        Assert.False(signer.Verifies(signed with { Signature = signed.Signature! with { Value = "not base64" } }));
        Assert.False(signer.Verifies(LegacyReceipts.Sign(other, FullReceipt())), "a receipt signed by another key is not this operator's");
    }

    [Fact]
    public async Task A_receipt_read_while_still_queued_is_served_without_proof_and_verifies_as_pending()
    {
        // A writer whose loop never runs: the receipt stays queued, as it does for a moment under load.
        var signer = gateway.App.Services.GetRequiredService<ReceiptSigner>();
        var writer = new RecordWriter(gateway.App.Services.GetRequiredService<Meridian.Storage.Geography.GeographyStores>(), signer,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<RecordWriter>.Instance);
        var receipt = FullReceipt() with { RequestId = "req_" + Guid.NewGuid().ToString("N") };
        await writer.EnqueueAsync(new Meridian.Storage.Geography.RequestRecord(receipt, null, null));

        var pending = writer.FindReceipt(receipt.RequestId);
        var listed = Assert.Single(writer.PendingFor(receipt.TenantId, receipt.CreatedAt, receipt.CreatedAt.AddTicks(1)));

        Assert.Equal(receipt, pending);
        Assert.Equal(pending, listed);
        Assert.Null(pending!.Signature);
        // Served as GET /v1/receipts/{id} serves a queued receipt ("log": null) …
        var served = JsonSerializer.SerializeToNode(pending, ReceiptJsonContext.Default.Receipt)!.AsObject();
        served[ReceiptCanonicalJson.LogMember] = null;
        var verified = ReceiptVerifier.Verify(JsonSerializer.Deserialize<JsonElement>(served.ToJsonString()), signer.PublicKey);
        Assert.False(verified.Valid, "a queued receipt is not in a log yet: nothing proves it");
        Assert.True(verified.Pending, verified.Reason);

        // … and as the list serves receipts (no log member): not pending, but to be fetched one by one to be verified.
        var asListed = ReceiptVerifier.Verify(JsonSerializer.SerializeToElement(listed, ReceiptJsonContext.Default.Receipt), signer.PublicKey);
        Assert.False(asListed.Valid);
        Assert.False(asListed.Pending);
        Assert.Contains("fetch it with GET /v1/receipts/{id}", asListed.Reason, StringComparison.Ordinal);
    }

    private static Receipt FullReceipt() => new()
    {
        RequestId = "req_0193a1b2c3d4e5f6",
        CreatedAt = new DateTimeOffset(2026, 11, 29, 15, 40, 58, 123, TimeSpan.Zero).AddTicks(4567),
        TenantId = "ten_demo",
        KeyId = "key_1",
        DeploymentId = "dep_1",
        DeploymentName = "claude-sonnet-5",
        Model = "claude-sonnet-5",
        HostingOption = "platform",
        DeploymentType = "data_zone",
        IngressRegion = "eastus",
        Backend = "anthropic-eastus (anthropic)",
        ProcessingRegion = "eastus",
        StorageGeography = "us",
        Endpoint = "messages",
        Streamed = true,
        Status = 200,
        ErrorType = "overloaded_error",
        SafeguardVerdict = "annotate:pii=low",
        StopReason = "max_tokens",
        InputTokens = 14,
        OutputTokens = 16,
        CacheCreationInputTokens = 3,
        CacheReadInputTokens = 4,
        DurationMs = 0.8734,
        PublisherId = "pub_anthropic",
        ResourceRegion = "eastus",
        ResourceDataZone = "us",
        ProcessingDataZone = "us",
        ProcessingOperator = "platform",
        Attempts = [new RouteAttempt("anthropic-westus", "westus", "us", "platform", "connect_error"), new RouteAttempt("anthropic-eastus", "eastus", "us", "platform", "ok")],
        RoutingFailure = "none",
        DataRecipients = ReceiptBoundary.Recipients("pub_anthropic", ["platform"]),
        IngressDataZone = "us",
        IngressOutsideBoundary = true,
        WorldVersion = 4,
        ResourceId = "res_1",
    };

    private static async Task<JsonElement> SendAndFetchReceiptAsync(HttpClient client)
    {
        using var response = await client.SendAsync(GatewayFixture.JsonPost("/v1/messages", """
            {"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"Sign my receipt"}]}
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("meridian-processing-region").Single(), new[] { "eastus", "westus" });
        var requestId = ApiAssert.RequestId(response);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
        using var receipt = await client.SendAsync(request, Ct);
        return await receipt.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }
}
