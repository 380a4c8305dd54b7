using System.Buffers;
using System.Text.Json;
using Meridian.Core.Receipts;
using Meridian.Gateway.Receipts;

namespace Meridian.Gateway.Tests.Receipts;

/// <summary>
/// Receipts as Meridian wrote them before the receipt log: each with its own Ed25519 signature over its canonical form.
/// Stores still hold them, and they must stay verifiable.
/// </summary>
internal static class LegacyReceipts
{
    public static Receipt Sign(ReceiptSigner signer, Receipt receipt)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true }))
        {
            ReceiptCanonicalJson.Write(json, receipt with { Signature = null });
        }

        return receipt with { Signature = new ReceiptSignature(ReceiptSigner.Algorithm, signer.KeyId, signer.SignData(output.WrittenSpan)) };
    }
}
