using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Meridian.Core.Receipts;
using Meridian.Gateway.Receipts;

namespace Meridian.Benchmarks;

/// <summary>
/// A receipt's leaf in the receipt log: the canonical bytes it hashes, for a receipt as the data plane writes one
/// (routing fields, one attempt, two data recipients), and the Ed25519 signature each receipt carried before the log
/// (now one per batch, over the tree head). The baseline produces the canonical bytes the generic way — serialize,
/// parse, sort members — which is also how a verifier reads a receipt it was given.
/// </summary>
[MemoryDiagnoser]
public class ReceiptBenchmarks
{
    private readonly ReceiptSigner _signer = new(new byte[32]);
    private readonly System.Buffers.ArrayBufferWriter<byte> _output = new(2048);
    private Utf8JsonWriter _json = null!;
    private Receipt _receipt = null!;

    [GlobalSetup]
    public void Setup()
    {
        _receipt = Sample();
        _json = new Utf8JsonWriter(_output, new JsonWriterOptions { SkipValidation = true });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _json.Dispose();
        _signer.Dispose();
    }

    [Benchmark(Baseline = true, Description = "canonical bytes: serialize, parse, sort")]
    public int CanonicalViaDocument()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(_receipt with { Signature = null }, ReceiptJsonContext.Default.Receipt);
        using var document = JsonDocument.Parse(json);
        return ReceiptCanonicalJson.Of(document.RootElement).Length;
    }

    [Benchmark(Description = "canonical bytes: written from the fields")]
    public int CanonicalFromFields()
    {
        _output.ResetWrittenCount();
        _json.Reset(_output);
        ReceiptCanonicalJson.Write(_json, _receipt);
        _json.Flush();
        return _output.WrittenCount;
    }

    [Benchmark(Description = "leaf hash (canonical bytes + SHA-256): per receipt now")]
    public int LeafHash() => ReceiptSigner.LeafHash(_receipt).Length;

    [Benchmark(Description = "canonical bytes + Ed25519: per receipt before the log, per batch now")]
    public int Sign()
    {
        CanonicalFromFields();
        return _signer.SignData(_output.WrittenSpan).Length;
    }

    internal static Receipt Sample() => new()
    {
        RequestId = "req_0193a1b2c3d4e5f60718293a4b5c6d7e",
        CreatedAt = new DateTimeOffset(2026, 11, 29, 15, 40, 58, 123, TimeSpan.Zero).AddTicks(4567),
        TenantId = "ten_demo",
        KeyId = "key_0193a1b2c3d4",
        DeploymentId = "dep_0193a1b2c3d4",
        DeploymentName = "claude-sonnet-5",
        Model = "claude-sonnet-5",
        HostingOption = "platform",
        DeploymentType = "data_zone",
        IngressRegion = "eastus",
        Backend = "anthropic-eastus (anthropic)",
        ProcessingRegion = "eastus",
        StorageGeography = "us",
        Endpoint = "messages",
        Streamed = false,
        Status = 200,
        SafeguardVerdict = "allow",
        StopReason = "max_tokens",
        InputTokens = 14,
        OutputTokens = 16,
        DurationMs = 0.8734,
        PublisherId = "pub_anthropic",
        ResourceRegion = "eastus",
        ResourceDataZone = "us",
        ProcessingDataZone = "us",
        ProcessingOperator = "platform",
        Attempts = [new RouteAttempt("anthropic-eastus", "eastus", "us", "platform", "ok")],
        DataRecipients = ReceiptBoundary.Recipients("pub_anthropic", ["platform"]),
    };
}
