namespace Meridian.Inference.LlamaSharp.Tests;

/// <summary>
/// One tiny random-weight GGUF written to a temp folder and loaded once, shared by the tests of a class (loading is
/// cheap, but the native library is loaded once per process anyway).
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    public const int Seed = 20261129;

    public TinyModelFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "meridian-llamasharp-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        ModelPath = Path.Combine(Directory, "tiny.gguf");
        TinyGguf.Write(ModelPath, Seed);
        Backend = new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = ModelPath, MaxParallelRequests = 4 });
    }

    public string Directory { get; }

    public string ModelPath { get; }

    public LlamaSharpBackend Backend { get; }

    public void Dispose()
    {
        Backend.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
