namespace Meridian.Inference.LlamaSharp;

/// <summary>The event ids of this backend's log lines, in one place (1700–1799).</summary>
internal static class LogEvents
{
    public const int ModelLoaded = 1700;
    public const int UnsupportedChatTemplate = 1701;
    public const int DecodeFailed = 1702;
    public const int GenerationFailed = 1703;
    public const int NativeWarning = 1710;
    public const int NativeError = 1711;
}
