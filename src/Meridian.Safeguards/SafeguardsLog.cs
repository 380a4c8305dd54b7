using Microsoft.Extensions.Logging;

namespace Meridian.Safeguards;

/// <summary>
/// Every log line of the safeguards, with its event id (3000–3099). They carry names, reasons and verdict strings —
/// never screened text, never a matched span, never an exception message (which a classifier might fill with content).
/// </summary>
internal static partial class SafeguardsLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning,
        Message = "Classifier {Classifier} unavailable ({Reason}); policy {Policy} fails {FailureMode}")]
    public static partial void ClassifierUnavailable(ILogger logger, string classifier, string reason, string policy, string failureMode);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error,
        Message = "Classifier {Classifier} threw {ExceptionType}; counted as unavailable")]
    public static partial void ClassifierThrew(ILogger logger, string classifier, string exceptionType);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information,
        Message = "Input blocked by safeguard policy {Policy}: {Verdict}")]
    public static partial void InputBlocked(ILogger logger, string policy, string verdict);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information,
        Message = "Output blocked by safeguard policy {Policy}: {Verdict}")]
    public static partial void OutputBlocked(ILogger logger, string policy, string verdict);
}
