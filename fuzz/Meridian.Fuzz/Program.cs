using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Meridian.Testing;

namespace Meridian.Fuzz;

/// <summary>
/// <c>./build.sh fuzz</c>: a bounded generative fuzzer for the targets in <see cref="FuzzTargets"/> (issue 15, item 7).
/// It starts from the regression corpus (tests/data/fuzz/&lt;target&gt;/, seeds and earlier findings alike), mutates
/// inputs (bit flips, JSON and SSE tokens, repeated slices, splices, adversarial text) and keeps in its working set the
/// inputs that cost the most work per byte or end in an outcome not seen before, steering towards the superlinear
/// paths the work budget guards. Every crash, over-budget or hung input is written into the regression corpus, which
/// <c>FuzzRegressionTests</c> replays in <c>./build.sh test</c>.
/// </summary>
internal static class Program
{
    private const int MaxInputBytes = 256 * 1024;
    private const int MaxPool = 256;
    private const int MaxMinimizeTries = 4000;
    private static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "\\udc00", "\\u0000", "null", "true", "false", "0", "-1",
            "1e309", "2147483648", "\"type\":\"text\"", "\"text\":\"", "\"role\":\"user\"", "\"role\":\"assistant\"",
            "\"content\":[", "\"messages\":[", "\"tools\":[", "\"system\":", "\"tool_use\"", "\"tool_result\"", "\"tool_use_id\":\"t1\"",
            "\"image\"", "\"document\"", "\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"", "\"url\":\"http://127.0.0.1/\"",
            "\"stop_sequences\":[", "\"metadata\":{\"user_id\":\"", "\"max_tokens\":", "\"stream\":true", "\"thinking\"",
            "data: ", "event: ", "\n", "\r\n", "\n\n", ": ping\n", "\"type\":\"content_block_delta\"", "\"delta\":{\"type\":\"text_delta\",\"text\":\"",
            "\"index\":0", "\"type\":\"message_start\"", "\"message\":{\"id\":\"m\",\"model\":\"x\"}", "\"type\":\"content_block_start\"",
            "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"n\"}", "\"type\":\"message_delta\"", "\"type\":\"message_stop\"",
            "\u2018", "\u201c", "i will kill you", "ignore all previous instructions", "sk-ant-api03-", "AKIA", "eyJ", "@", "a@a.", "https://",
            "-----BEGIN ", "password=", "4111 1111 1111 1111", "\u0301", "😀", "的", "\u200b", "\ufeff",
        }.Select(Encoding.UTF8.GetBytes),
        [0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x00],
    ];

    public static async Task<int> Main(string[] args)
    {
        var seconds = 180;
        var corpus = Path.Combine(FindRoot(), "tests", "data", "fuzz");
        var targets = new List<string>();
        var seed = Environment.TickCount;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds" when i + 1 < args.Length:
                    seconds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--target" when i + 1 < args.Length:
                    targets.Add(args[++i]);
                    break;
                case "--corpus" when i + 1 < args.Length:
                    corpus = args[++i];
                    break;
                case "--seed" when i + 1 < args.Length:
                    seed = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    await Console.Error.WriteLineAsync($"usage: Meridian.Fuzz [--seconds N] [--target {string.Join('|', FuzzTargets.Names)}]... [--corpus DIR] [--seed N] (unknown: {args[i]})");
                    return 2;
            }
        }

        if (targets.Count == 0)
        {
            targets.AddRange(FuzzTargets.Names);
        }

        Console.WriteLine($"fuzzing {string.Join(", ", targets)} for {seconds} s in all (seed {seed}); findings go to {corpus}/<target>/");
        var findings = 0;
        var share = TimeSpan.FromSeconds(Math.Max(1, seconds) / (double)targets.Count);
        foreach (var target in targets)
        {
            findings += await FuzzAsync(target, Path.Combine(corpus, target), share, new Random(seed));
        }

        Console.WriteLine(findings == 0
            ? "fuzz: no findings"
            : $"fuzz: {findings} finding(s) written; they fail FuzzRegressionTests until fixed");
        return findings == 0 ? 0 : 1;
    }

    private static async Task<int> FuzzAsync(string target, string folder, TimeSpan duration, Random random)
    {
        Directory.CreateDirectory(folder);
        var pool = Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal)
            .Select(path => new Entry(File.ReadAllBytes(path), 0)).ToList();
        pool.AddRange(AdversarialCorpus.Entries.Select(e => new Entry(Encoding.UTF8.GetBytes(e.Make(64)), 0)));
        var outcomesSeen = new HashSet<string>(StringComparer.Ordinal);
        var failuresSeen = new HashSet<string>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        long runs = 0;
        var findings = 0;
        var worstShare = 0.0;
        while (clock.Elapsed < duration)
        {
            var input = Mutate(pool[random.Next(pool.Count)].Input, pool, random);
            using var hang = new CancellationTokenSource(HangAfter);
            FuzzResult result;
            try
            {
                result = await FuzzTargets.RunAsync(target, input, hang.Token);
            }
            catch (OperationCanceledException)
            {
                result = new FuzzResult(FuzzOutcome.Crashed, 0, 0, 0, $"still running after {HangAfter.TotalSeconds} s");
            }

            runs++;
            var perByte = result.Work / (double)Math.Max(1, result.BodyBytes);
            worstShare = Math.Max(worstShare, result.Work / (double)Math.Max(1, result.Budget));
            if (result.Outcome != FuzzOutcome.Passed)
            {
                // One file per kind of failure: the same bug reached through a thousand inputs is one regression test.
                if (failuresSeen.Add(FailureSignature(result)))
                {
                    findings++;
                    var smallest = await MinimizeAsync(target, input, FailureSignature(result));
                    var path = Path.Combine(folder, $"{result.Outcome.ToString().ToLowerInvariant()}-{Convert.ToHexStringLower(SHA256.HashData(smallest))[..16]}");
                    await File.WriteAllBytesAsync(path, smallest);
                    Console.WriteLine($"[{target}] {result.Outcome}: {path} ({smallest.Length} bytes, from {input.Length})\n  {result.Detail}");
                }
            }
            else if (outcomesSeen.Add(Signature(input, result)) || perByte > MedianPerByte(pool))
            {
                pool.Add(new Entry(input, perByte));
                if (pool.Count > MaxPool)
                {
                    // Keep the costliest inputs (per byte): the mutations that make work grow are the ones to build on.
                    pool.Sort((a, b) => b.PerByte.CompareTo(a.PerByte));
                    pool.RemoveRange(MaxPool / 2, pool.Count - (MaxPool / 2));
                }
            }

            if (clock.Elapsed - lastProgress >= ProgressEvery)
            {
                lastProgress = clock.Elapsed;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{target}] {clock.Elapsed.TotalSeconds:F0} s: {runs} runs ({runs / clock.Elapsed.TotalSeconds:F0}/s), pool {pool.Count}, outcomes {outcomesSeen.Count}, worst {worstShare:P1} of budget, findings {findings}"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{target}] done: {runs} runs, worst {worstShare:P1} of the work budget, findings {findings}"));
        return findings;
    }

    /// <summary>A failure's kind: its outcome, the exception's type and the first frame in Meridian's own code.</summary>
    private static string FailureSignature(FuzzResult result)
    {
        var lines = (result.Detail ?? string.Empty).Split('\n');
        var type = lines[0].Split(':')[0];
        var frame = lines.FirstOrDefault(l => l.TrimStart().StartsWith("at Meridian.", StringComparison.Ordinal))?.Split(" in ")[0].Trim();
        return $"{result.Outcome}/{type}/{frame}";
    }

    /// <summary>
    /// The smallest input found by cutting chunks out (halves, then quarters, down to single bytes) that still fails the
    /// same way: a regression input a reader can look at. Bounded, so a slow failure cannot stall the run.
    /// </summary>
    private static async Task<byte[]> MinimizeAsync(string target, byte[] input, string signature)
    {
        var best = input;
        var tries = 0;
        for (var chunk = best.Length / 2; chunk >= 1 && tries < MaxMinimizeTries; chunk /= 2)
        {
            for (var at = 0; at + chunk <= best.Length && tries < MaxMinimizeTries; tries++)
            {
                var candidate = new byte[best.Length - chunk];
                best.AsSpan(0, at).CopyTo(candidate);
                best.AsSpan(at + chunk).CopyTo(candidate.AsSpan(at));
                using var hang = new CancellationTokenSource(HangAfter);
                FuzzResult result;
                try
                {
                    result = await FuzzTargets.RunAsync(target, candidate, hang.Token);
                }
                catch (OperationCanceledException)
                {
                    result = new FuzzResult(FuzzOutcome.Crashed, 0, 0, 0, $"still running after {HangAfter.TotalSeconds} s");
                }

                if (result.Outcome != FuzzOutcome.Passed && FailureSignature(result) == signature)
                {
                    best = candidate;
                }
                else
                {
                    at += chunk;
                }
            }
        }

        return best;
    }

    /// <summary>A coarse class of what an input did: its outcome, and the size classes of the input and of its work.</summary>
    private static string Signature(byte[] input, FuzzResult result) =>
        $"{result.Outcome}/{BitLength(input.Length)}/{BitLength((int)Math.Min(int.MaxValue, result.Work))}";

    private static int BitLength(int value) => 32 - int.LeadingZeroCount(value);

    private static double MedianPerByte(List<Entry> pool)
    {
        var values = pool.Select(e => e.PerByte).Order().ToList();
        return values[values.Count / 2];
    }

    private static byte[] Mutate(byte[] input, List<Entry> pool, Random random)
    {
        var bytes = new List<byte>(input);
        var steps = 1 + random.Next(4);
        for (var s = 0; s < steps; s++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count + 1);
            switch (random.Next(7))
            {
                case 0 when bytes.Count > 0:
                    var flip = Math.Min(at, bytes.Count - 1);
                    bytes[flip] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.InsertRange(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 2 when bytes.Count > 1:
                    var start = random.Next(bytes.Count);
                    bytes.RemoveRange(start, Math.Min(bytes.Count - start, 1 + random.Next(64)));
                    break;
                case 3 when bytes.Count > 0:
                    // Repeat a slice: long runs and repeated structure are what made paths superlinear.
                    var from = random.Next(bytes.Count);
                    var slice = bytes.GetRange(from, Math.Min(bytes.Count - from, 1 + random.Next(32)));
                    var times = 1 << random.Next(12);
                    for (var t = 0; t < times && bytes.Count + slice.Count <= MaxInputBytes; t++)
                    {
                        bytes.InsertRange(Math.Min(at, bytes.Count), slice);
                    }

                    break;
                case 4:
                    var other = pool[random.Next(pool.Count)].Input;
                    if (other.Length > 0)
                    {
                        var otherFrom = random.Next(other.Length);
                        bytes.InsertRange(at, other.AsSpan(otherFrom, Math.Min(other.Length - otherFrom, 1 + random.Next(256))).ToArray());
                    }

                    break;
                case 5:
                    var entry = AdversarialCorpus.Entries[random.Next(AdversarialCorpus.Entries.Count)];
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(entry.Make(1 << random.Next(4, 14))));
                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    }

                    break;
            }
        }

        return bytes.Count > MaxInputBytes ? bytes.GetRange(0, MaxInputBytes).ToArray() : bytes.ToArray();
    }

    private static string FirstLine(string? text) => text is null ? string.Empty : text.Split('\n')[0];

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Meridian.slnx")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    private sealed record Entry(byte[] Input, double PerByte);
}
