using System.Collections;

namespace Meridian.Cli.Commands;

/// <summary>Settings given per name in the environment, as <c>PREFIX&lt;NAME&gt;=value</c> (e.g. <c>MERIDIAN_POSTGRES_GEO_EU</c>).</summary>
internal static class PrefixedEnvironment
{
    /// <summary>The non-empty variables starting with <paramref name="prefix"/>: the rest of the name, lowercased, and the value.</summary>
    public static IEnumerable<(string Name, string Value)> Read(string prefix) =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Where(e => e.Key is string key && key.StartsWith(prefix, StringComparison.Ordinal) && e.Value is string { Length: > 0 })
            .Select(e => (((string)e.Key)[prefix.Length..].ToLowerInvariant(), (string)e.Value!));
}
