using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;

namespace Meridian.Safeguards.Tests;

internal static class TestSupport
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static MessagesRequest Request(string json)
    {
        if (!MessagesRequestParser.TryParse(System.Text.Encoding.UTF8.GetBytes(json), isCountTokens: false, out var request, out ApiError? error))
        {
            throw new InvalidOperationException("bad test request: " + error.Message);
        }

        return request;
    }

    public static async Task<IReadOnlyList<Finding>> Classify(IClassifier classifier, string text, TextSource source = TextSource.User) =>
        (await classifier.ClassifyAsync(new ScreeningText(text, source), Ct)).Findings;

    public static string Matched(string text, Finding finding) => text.Substring(finding.Start, finding.Length);
}

/// <summary>A classifier outside the built-ins (so the stream screener runs it per segment) that answers as told.</summary>
internal sealed class ScriptedClassifier(string name, Func<ScreeningText, ClassifierResult> answer) : IClassifier
{
    public string Name => name;

    public int Calls;

    public List<string> Seen { get; } = [];

    public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        lock (Seen)
        {
            Seen.Add(text.Text.ToString());
        }

        return ValueTask.FromResult(answer(text));
    }
}
