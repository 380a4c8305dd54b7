using Meridian.Core.Receipts;
using Meridian.Storage.Geography;

namespace Meridian.Storage.Tests.Geography;

/// <summary>
/// A key's last use is folded into the batch the record writer commits anyway (no write or read on the request path):
/// the latest receipt time per key, per writer, never moved back by a retried older batch, the latest across writers.
/// </summary>
public sealed class KeyLastUseTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly string _data = Path.Combine(Path.GetTempPath(), "meridian-key-use", Guid.NewGuid().ToString("N"));

    [Fact]
    public void The_latest_receipt_per_key_is_its_last_use_across_batches_and_writers()
    {
        using var first = TestStores.Geographies(_data, "us");
        var store = first.For("us");
        store.InsertBatch([Receipt("key_a", T0.AddMinutes(1)), Receipt("key_b", T0.AddMinutes(2)), Receipt("key_a", T0.AddMinutes(3))]);

        var used = store.KeysLastUsed(["key_a", "key_b", "key_never"]);
        Assert.Equal(T0.AddMinutes(3), used["key_a"]);
        Assert.Equal(T0.AddMinutes(2), used["key_b"]);
        Assert.False(used.ContainsKey("key_never"));

        // A batch written late with older receipts (a retry) does not move the time back.
        store.InsertBatch([Receipt("key_a", T0)]);
        Assert.Equal(T0.AddMinutes(3), store.KeysLastUsed(["key_a"])["key_a"]);

        // Another node's writer, on the same store, keeps its own row; the answer is the latest of all.
        using var second = TestStores.Geographies(_data, "us");
        second.For("us").InsertBatch([Receipt("key_a", T0.AddMinutes(9))]);
        Assert.Equal(T0.AddMinutes(9), store.KeysLastUsed(["key_a"])["key_a"]);
        Assert.Equal(T0.AddMinutes(2), second.For("us").KeysLastUsed(["key_b"])["key_b"]);
    }

    public void Dispose() => TestStores.DeleteDataDirectory(_data);

    private static RequestRecord Receipt(string keyId, DateTimeOffset at) => new(new Receipt
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        CreatedAt = at,
        TenantId = "ten_use",
        KeyId = keyId,
        IngressRegion = "eastus",
        StorageGeography = "us",
        Endpoint = "messages",
        Status = 200,
    }, null, null);
}
