using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// Builds <see cref="RegexOptions.NonBacktracking"/> regexes without keeping the engine's construction scratch alive.
/// </summary>
/// <remarks>
/// The engine builds each regex with its own BDD solver, whose two caches (interned BDD nodes and memoized BDD
/// operations) grow with the square of the pattern's distinct chars while the engine computes the pattern's minterms:
/// ≈ 1.8 MB for one lexicon rule over the lower-case alphabet, ≈ 2.4 MB with the BDDs they hold. The finished matcher
/// keeps the solver (for debug printing) although matching never touches it: it works on the minterms alone. With one
/// regex per lexicon rule and per group, those caches were ≈ 230 of the idle gateway's 338 MB of live heap
/// (2026-12-08, <c>dotnet-gcdump</c> and <c>dotnet-dump</c>, 113 regexes). <see cref="Create"/> empties them once the
/// regex is built; the regex matches exactly as before (<c>LinearRegexTests</c> compares every lexicon rule trimmed and
/// untrimmed over the evaluation set). The caches are private to System.Text.RegularExpressions, so they are reached
/// by name; where a runtime names them differently nothing is trimmed and the regex works as built
/// (<c>LinearRegexTests</c> then fails, so an upgrade that moves them is noticed).
/// </remarks>
internal static class LinearRegex
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>A <see cref="RegexOptions.NonBacktracking"/> regex (added to <paramref name="options"/>) with no
    /// match timeout, its construction caches emptied.</summary>
    /// <exception cref="NotSupportedException">The pattern needs the backtracking engine (lookarounds, backreferences,
    /// atomic groups).</exception>
    public static Regex Create(string pattern, RegexOptions options)
    {
        var regex = new Regex(pattern, options | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout);
        _ = TrimConstructionCaches(regex);
        return regex;
    }

    /// <summary>Empties the construction caches of a non-backtracking regex's BDD solver; false when this runtime
    /// keeps them somewhere else (nothing changed).</summary>
    internal static bool TrimConstructionCaches(Regex regex)
    {
        var solver = Field(Field(Field(Field(regex, typeof(Regex), "factory"), null, "_matcher"), null, "_builder"), null, "_charSetSolver");
        if (solver is null)
        {
            return false;
        }

        var trimmed = false;
        foreach (var field in solver.GetType().GetFields(Instance))
        {
            if (field.GetValue(solver) is IDictionary cache &&
                cache.GetType().GetMethod("TrimExcess", Type.EmptyTypes) is { } trimExcess)
            {
                cache.Clear();
                _ = trimExcess.Invoke(cache, null);
                trimmed = true;
            }
        }

        return trimmed;
    }

    private static object? Field(object? owner, Type? declaringType, string name) =>
        owner is null ? null : (declaringType ?? owner.GetType()).GetField(name, Instance)?.GetValue(owner);
}
