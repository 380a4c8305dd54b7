using System.Text;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace Meridian.Inference.LlamaSharp;

/// <summary>
/// Routes llama.cpp's own log lines to an <see cref="ILogger"/>, warnings and errors only. The callback is registered
/// once, before the first native call (later registrations would race with native threads still holding the previous
/// one); each backend then points it at its logger, the last one winning.
/// </summary>
internal static partial class NativeLogging
{
    private static readonly Lock Gate = new();
    private static bool s_registered;
    private static volatile ILogger? s_logger;

    // llama.cpp writes a line in pieces: the first with its level, the rest with level "continue" (which sorts above
    // Error, so a plain `level >= Warning` filter would let every continuation of an info line through).
    [ThreadStatic]
    private static LLamaLogLevel t_level;

    [ThreadStatic]
    private static StringBuilder? t_line;

    public static void RouteTo(ILogger logger)
    {
        lock (Gate)
        {
            s_logger = logger;
            if (!s_registered)
            {
                NativeLogConfig.llama_log_set(OnNativeLog);
                s_registered = true;
            }
        }
    }

    private static void OnNativeLog(LLamaLogLevel level, string message) => OnNativeLog(level, message, s_logger);

    internal static void OnNativeLog(LLamaLogLevel level, string message, ILogger? logger)
    {
        if (level != LLamaLogLevel.Continue)
        {
            t_level = level;
            t_line?.Clear();
        }

        if (t_level is not (LLamaLogLevel.Warning or LLamaLogLevel.Error) || logger is null)
        {
            return;
        }

        var line = t_line ??= new StringBuilder();
        line.Append(message);
        if (line.Length == 0 || line[^1] != '\n')
        {
            return;
        }

        var text = line.ToString().TrimEnd();
        line.Clear();
        if (t_level == LLamaLogLevel.Error)
        {
            Log.NativeError(logger, text);
        }
        else
        {
            Log.NativeWarning(logger, text);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.NativeWarning, Level = LogLevel.Warning, Message = "llama.cpp: {Line}")]
        public static partial void NativeWarning(ILogger logger, string line);

        [LoggerMessage(EventId = LogEvents.NativeError, Level = LogLevel.Error, Message = "llama.cpp: {Line}")]
        public static partial void NativeError(ILogger logger, string line);
    }
}
