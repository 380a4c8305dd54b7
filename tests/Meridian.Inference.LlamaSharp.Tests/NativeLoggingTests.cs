using LLama.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Meridian.Inference.LlamaSharp.Tests;

public sealed class NativeLoggingTests
{
    [Fact]
    public void Only_warnings_and_errors_reach_the_logger_continuations_included()
    {
        var logger = new FakeLogger<LlamaSharpBackend>();

        // From one thread, as llama.cpp writes a line: a level, then "continue" pieces up to the newline.
        NativeLogging.OnNativeLog(LLamaLogLevel.Info, "loading tensors ", logger);
        NativeLogging.OnNativeLog(LLamaLogLevel.Continue, "done\n", logger);
        NativeLogging.OnNativeLog(LLamaLogLevel.Debug, "debug detail\n", logger);
        NativeLogging.OnNativeLog(LLamaLogLevel.Warning, "special token ", logger);
        NativeLogging.OnNativeLog(LLamaLogLevel.Continue, "not marked\n", logger);
        NativeLogging.OnNativeLog(LLamaLogLevel.Error, "failed to decode\n", logger);

        var mine = logger.Collector.GetSnapshot().Where(e => e.Id.Id is LogEvents.NativeWarning or LogEvents.NativeError).ToList();
        Assert.Contains(mine, e => e.Level == LogLevel.Warning && e.Message == "llama.cpp: special token not marked");
        Assert.Contains(mine, e => e.Level == LogLevel.Error && e.Message == "llama.cpp: failed to decode");
        Assert.DoesNotContain(mine, e => e.Message.Contains("loading", StringComparison.Ordinal) || e.Message.Contains("done", StringComparison.Ordinal)
            || e.Message.Contains("debug", StringComparison.Ordinal));
    }
}
