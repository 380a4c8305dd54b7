namespace Meridian.Safeguards.Classifiers;

/// <summary>A built-in classifier the stream screener may run on its sliding window: it completes synchronously, is
/// cheap, and never matches more than <see cref="MaxMatchChars"/> of original text.</summary>
internal interface IWindowedClassifier
{
    int MaxMatchChars { get; }
}
