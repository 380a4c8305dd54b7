namespace Meridian.Testing;

/// <summary>
/// A fresh, empty data folder under the temp directory (<c>meridian-&lt;purpose&gt;/&lt;guid&gt;</c>); disposing it
/// releases the store pools that hold its files and removes it.
/// </summary>
public sealed class TestDataDirectory : IDisposable
{
    public TestDataDirectory(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "meridian-" + purpose, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose() => TestStores.DeleteDataDirectory(Path);
}
