using System.Text;

namespace Meridian.Inference.LlamaSharp.Tests;

/// <summary>
/// Writes a tiny "llama" GGUF (v3) with random weights: a SentencePiece-style vocabulary of about 400 tokens (the three
/// control tokens, the 256 <c>&lt;0xXX&gt;</c> byte tokens, printable characters and word pieces), embedding 64, 2 blocks,
/// 4 heads, feed-forward 128, context 256 — about 550 KB of F32. Its answers are gibberish, but they are real tokens
/// from llama.cpp's real loading, tokenizing and decoding code, and the same for the same seed.
/// <para>
/// The <c>output</c> rows of the byte and control tokens are zero, so greedy decoding picks printable word pieces and
/// runs until <c>max_tokens</c> (random weights otherwise favour byte or end tokens). With <c>endsAtOnce</c> the end
/// token instead wins every time.
/// </para>
/// </summary>
public static class TinyGguf
{
    public const int Embedding = 64;
    public const int Blocks = 2;
    public const int Heads = 4;
    public const int FeedForward = 128;
    public const int Context = 256;

    public const int UnknownId = 0;
    public const int BosId = 1;
    public const int EosId = 2;
    private const int FirstByteToken = 3;
    private const int FirstPiece = FirstByteToken + 256;

    private const int Alignment = 32;

    private const uint TypeUInt32 = 4;
    private const uint TypeInt32 = 5;
    private const uint TypeFloat32 = 6;
    private const uint TypeBool = 7;
    private const uint TypeString = 8;
    private const uint TypeArray = 9;
    private const uint GgmlF32 = 0;

    private static readonly string[] Words =
    [
        "the", "and", "of", "to", "in", "is", "it", "that", "for", "on", "with", "as", "was", "at", "by", "an", "be", "this",
        "from", "or", "are", "but", "not", "have", "we", "you", "they", "all", "one", "can", "will", "if", "so", "no",
        "hello", "world", "model", "token", "answer", "meridian", "gateway", "stream", "region", "zone", "data", "cloud",
        "tiny", "random", "weights", "llama", "sharp", "text", "byte", "piece", "quick", "brown", "fox", "lazy", "dog",
        "river", "stone", "light", "north", "south", "east", "west", "blue", "green", "red", "gold", "time", "space",
    ];

    private static readonly string[] Fragments = ["ing", "ed", "er", "ly", "tion", "es", "en", "re", "th", "an", "on", "or"];

    /// <summary>The vocabulary, id order: control tokens, byte tokens, then pieces.</summary>
    public static IReadOnlyList<string> Vocabulary { get; } = BuildVocabulary();

    /// <summary>Writes the model to <paramref name="path"/> (same seed, same bytes).</summary>
    /// <param name="chatTemplate">A <c>tokenizer.chat_template</c> to embed, or none.</param>
    public static void Write(string path, int seed, string? chatTemplate = null, bool endsAtOnce = false)
    {
        var random = new Random(seed);
        var vocab = Vocabulary;
        var tensors = new List<(string Name, int[] Dims, float[] Data)>
        {
            ("token_embd.weight", [Embedding, vocab.Count], Gaussian(random, Embedding * vocab.Count, 1f)),
        };

        if (endsAtOnce)
        {
            // One embedding dimension the same large value for every token: it dominates the residual stream, so the
            // normalised hidden state always points the same way there, and the end token's output row looks only at it.
            var embedding = tensors[0].Data;
            for (var t = 0; t < vocab.Count; t++)
            {
                embedding[t * Embedding] = 50f;
            }
        }

        for (var b = 0; b < Blocks; b++)
        {
            var prefix = $"blk.{b}.";
            var projection = 1f / MathF.Sqrt(Embedding);
            tensors.Add((prefix + "attn_norm.weight", [Embedding], Ones(Embedding)));
            tensors.Add((prefix + "attn_q.weight", [Embedding, Embedding], Gaussian(random, Embedding * Embedding, projection)));
            tensors.Add((prefix + "attn_k.weight", [Embedding, Embedding], Gaussian(random, Embedding * Embedding, projection)));
            tensors.Add((prefix + "attn_v.weight", [Embedding, Embedding], Gaussian(random, Embedding * Embedding, projection)));
            tensors.Add((prefix + "attn_output.weight", [Embedding, Embedding], Gaussian(random, Embedding * Embedding, projection)));
            tensors.Add((prefix + "ffn_norm.weight", [Embedding], Ones(Embedding)));
            tensors.Add((prefix + "ffn_gate.weight", [Embedding, FeedForward], Gaussian(random, Embedding * FeedForward, projection)));
            tensors.Add((prefix + "ffn_up.weight", [Embedding, FeedForward], Gaussian(random, Embedding * FeedForward, projection)));
            tensors.Add((prefix + "ffn_down.weight", [FeedForward, Embedding], Gaussian(random, FeedForward * Embedding, 1f / MathF.Sqrt(FeedForward))));
        }

        tensors.Add(("output_norm.weight", [Embedding], Ones(Embedding)));
        var output = Gaussian(random, Embedding * vocab.Count, 1f);
        for (var t = 0; t < FirstPiece; t++)
        {
            Array.Clear(output, t * Embedding, Embedding);
        }

        if (endsAtOnce)
        {
            output[EosId * Embedding] = 100f;
            for (var t = FirstPiece; t < vocab.Count; t++)
            {
                output[t * Embedding] = 0f;
            }
        }

        tensors.Add(("output.weight", [Embedding, vocab.Count], output));

        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using var writer = new BinaryWriter(file, Encoding.UTF8);
        var metadata = Metadata(vocab, chatTemplate);

        writer.Write("GGUF"u8);
        writer.Write(3u);
        writer.Write((ulong)tensors.Count);
        writer.Write((ulong)metadata.Count);
        foreach (var (key, write) in metadata)
        {
            WriteString(writer, key);
            write(writer);
        }

        ulong offset = 0;
        foreach (var (name, dims, data) in tensors)
        {
            WriteString(writer, name);
            writer.Write((uint)dims.Length);
            foreach (var dim in dims)
            {
                writer.Write((ulong)dim);
            }

            writer.Write(GgmlF32);
            writer.Write(offset);
            offset = Align((ulong)(offset + ((ulong)data.Length * sizeof(float))));
        }

        Pad(writer);
        foreach (var (_, _, data) in tensors)
        {
            foreach (var value in data)
            {
                writer.Write(value);
            }

            Pad(writer);
        }
    }

    private static List<(string Key, Action<BinaryWriter> Write)> Metadata(IReadOnlyList<string> vocab, string? chatTemplate)
    {
        var list = new List<(string, Action<BinaryWriter>)>
        {
            ("general.architecture", w => Str(w, "llama")),
            ("general.name", w => Str(w, "meridian-tiny-random")),
            ("general.alignment", w => U32(w, Alignment)),
            ("llama.context_length", w => U32(w, Context)),
            ("llama.embedding_length", w => U32(w, Embedding)),
            ("llama.block_count", w => U32(w, Blocks)),
            ("llama.feed_forward_length", w => U32(w, FeedForward)),
            ("llama.attention.head_count", w => U32(w, Heads)),
            ("llama.attention.head_count_kv", w => U32(w, Heads)),
            ("llama.rope.dimension_count", w => U32(w, Embedding / Heads)),
            ("llama.rope.freq_base", w => F32(w, 10000f)),
            ("llama.attention.layer_norm_rms_epsilon", w => F32(w, 1e-5f)),
            ("tokenizer.ggml.model", w => Str(w, "llama")),
            ("tokenizer.ggml.tokens", w => ArrayOf(w, TypeString, vocab.Count, i => WriteString(w, vocab[i]))),
            ("tokenizer.ggml.scores", w => ArrayOf(w, TypeFloat32, vocab.Count, i => w.Write(i < FirstPiece ? 0f : -(float)i))),
            ("tokenizer.ggml.token_type", w => ArrayOf(w, TypeInt32, vocab.Count, i => w.Write(TokenType(i)))),
            ("tokenizer.ggml.unknown_token_id", w => U32(w, UnknownId)),
            ("tokenizer.ggml.bos_token_id", w => U32(w, BosId)),
            ("tokenizer.ggml.eos_token_id", w => U32(w, EosId)),
            ("tokenizer.ggml.add_bos_token", w => Bool(w, true)),
            ("tokenizer.ggml.add_eos_token", w => Bool(w, false)),
        };
        if (chatTemplate is not null)
        {
            list.Add(("tokenizer.chat_template", w => Str(w, chatTemplate)));
        }

        return list;
    }

    /// <summary>SentencePiece token types: 1 normal, 2 unknown, 3 control, 6 byte.</summary>
    private static int TokenType(int id) => id switch
    {
        UnknownId => 2,
        BosId or EosId => 3,
        < FirstPiece => 6,
        _ => 1,
    };

    private static List<string> BuildVocabulary()
    {
        var vocab = new List<string> { "<unk>", "<s>", "</s>" };
        for (var b = 0; b < 256; b++)
        {
            vocab.Add($"<0x{b:X2}>");
        }

        // Longer pieces get lower ids and so higher scores: SentencePiece merges prefer them.
        var pieces = new List<string>();
        pieces.AddRange(Words.Select(w => "\u2581" + w));
        pieces.AddRange(Fragments);
        pieces.Add("\u2581");
        for (var c = 'a'; c <= 'z'; c++)
        {
            pieces.Add(c.ToString());
        }

        for (var c = 'A'; c <= 'Z'; c++)
        {
            pieces.Add(c.ToString());
        }

        for (var c = '0'; c <= '9'; c++)
        {
            pieces.Add(c.ToString());
        }

        pieces.AddRange([".", ",", "!", "?", ":", ";", "'", "-", "(", ")", "é", "ü", "€", "日", "本"]);
        vocab.AddRange(pieces.Distinct(StringComparer.Ordinal));
        return vocab;
    }

    private static float[] Gaussian(Random random, int count, float scale)
    {
        var data = new float[count];
        for (var i = 0; i < count; i++)
        {
            // Box–Muller.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            data[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2)) * scale;
        }

        return data;
    }

    private static float[] Ones(int count) => Enumerable.Repeat(1f, count).ToArray();

    private static ulong Align(ulong value) => (value + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter writer)
    {
        var position = (ulong)writer.BaseStream.Position;
        for (var i = position; i < Align(position); i++)
        {
            writer.Write((byte)0);
        }
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static void Str(BinaryWriter writer, string value)
    {
        writer.Write(TypeString);
        WriteString(writer, value);
    }

    private static void U32(BinaryWriter writer, int value)
    {
        writer.Write(TypeUInt32);
        writer.Write((uint)value);
    }

    private static void F32(BinaryWriter writer, float value)
    {
        writer.Write(TypeFloat32);
        writer.Write(value);
    }

    private static void Bool(BinaryWriter writer, bool value)
    {
        writer.Write(TypeBool);
        writer.Write(value);
    }

    private static void ArrayOf(BinaryWriter writer, uint elementType, int count, Action<int> writeElement)
    {
        writer.Write(TypeArray);
        writer.Write(elementType);
        writer.Write((ulong)count);
        for (var i = 0; i < count; i++)
        {
            writeElement(i);
        }
    }
}
