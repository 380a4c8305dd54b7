using LLama.Exceptions;

namespace Meridian.Inference.LlamaSharp.Tests;

/// <summary>What an operator sees when <c>model_path</c> is wrong: an exception at start, never a broken backend.</summary>
public sealed class ModelLoadingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-llamasharp-tests", Guid.NewGuid().ToString("N"));

    public ModelLoadingTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var path = Path.Combine(_directory, "missing.gguf");

        var error = Assert.Throws<FileNotFoundException>(() => new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path }));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_gguf_model_fails_to_load()
    {
        var path = Path.Combine(_directory, "not-a-model.gguf");
        File.WriteAllText(path, "this is not a GGUF file");

        Assert.ThrowsAny<RuntimeError>(() => new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path }));
    }

    [Fact]
    public void The_tiny_model_is_a_few_hundred_kilobytes_and_the_same_for_the_same_seed()
    {
        var a = Path.Combine(_directory, "a.gguf");
        var b = Path.Combine(_directory, "b.gguf");
        TinyGguf.Write(a, seed: 3);
        TinyGguf.Write(b, seed: 3);

        var length = new FileInfo(a).Length;
        Assert.InRange(length, 300_000, 600_000);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.InRange(TinyGguf.Vocabulary.Count, 380, 450);
    }
}
