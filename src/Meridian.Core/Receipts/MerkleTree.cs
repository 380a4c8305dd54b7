using System.Numerics;
using System.Security.Cryptography;

namespace Meridian.Core.Receipts;

/// <summary>
/// The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0), over SHA-256: a leaf's hash is
/// <c>SHA-256(0x00 || leaf)</c>, an interior node's <c>SHA-256(0x01 || left || right)</c>, and a tree of n &gt; 1 leaves
/// splits at k, the largest power of two smaller than n. Audit paths (§2.1.3) and consistency proofs (§2.1.4) are made
/// from any source of subtree hashes and verified with the RFC's iterative algorithms, which never rebuild the tree.
/// Stateless and thread-safe.
/// </summary>
public static class MerkleTree
{
    public const int HashSize = 32;

    /// <summary>The hash of the empty tree: SHA-256 of nothing.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary><c>SHA-256(0x00 || leaf)</c>.</summary>
    public static byte[] HashLeaf(ReadOnlySpan<byte> leaf)
    {
        var hash = new byte[HashSize];
        HashLeaf(leaf, hash);
        return hash;
    }

    /// <inheritdoc cref="HashLeaf(ReadOnlySpan{byte})"/>
    public static void HashLeaf(ReadOnlySpan<byte> leaf, Span<byte> destination)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData([0x00]);
        sha.AppendData(leaf);
        sha.GetHashAndReset(destination);
    }

    /// <summary><c>SHA-256(0x01 || left || right)</c>.</summary>
    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> input = stackalloc byte[1 + (2 * HashSize)];
        input[0] = 0x01;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + HashSize)..]);
        return SHA256.HashData(input);
    }

    /// <summary>The largest power of two smaller than <paramref name="n"/> (n &gt; 1): where a tree of n leaves splits.</summary>
    public static long SplitPoint(long n) => (long)BitOperations.RoundUpToPowerOf2((ulong)n) >> 1;

    /// <summary>The root of <paramref name="leafHashes"/>: the RFC's MTH, recursively.</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leafHashes) => Root(new LeafHashes(leafHashes), 0, leafHashes.Count);

    /// <summary>The root of leaves <c>[start, end)</c> of <paramref name="source"/>.</summary>
    public static byte[] Root(ISubtreeSource source, long start, long end)
    {
        if (end == start)
        {
            return EmptyRoot();
        }

        return source.Subtree(start, end);
    }

    /// <summary>
    /// The audit path (RFC 9162 §2.1.3.1, PATH(m, D[n])) of leaf <paramref name="index"/> in the tree of the first
    /// <paramref name="size"/> leaves: sibling hashes from the leaf up.
    /// </summary>
    public static List<byte[]> InclusionProof(ISubtreeSource source, long index, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var path = new List<byte[]>();
        Path(source, index, 0, size, path);
        return path;
    }

    private static void Path(ISubtreeSource source, long m, long start, long end, List<byte[]> path)
    {
        var n = end - start;
        if (n == 1)
        {
            return;
        }

        var k = SplitPoint(n);
        if (m < k)
        {
            Path(source, m, start, start + k, path);
            path.Add(source.Subtree(start + k, end));
        }
        else
        {
            Path(source, m - k, start + k, end, path);
            path.Add(source.Subtree(start, start + k));
        }
    }

    /// <summary>
    /// The consistency proof (RFC 9162 §2.1.4.1, PROOF(m, D[n])) between the tree of the first <paramref name="first"/>
    /// leaves and that of the first <paramref name="second"/>; empty when they are equal or the first is empty.
    /// </summary>
    public static List<byte[]> ConsistencyProof(ISubtreeSource source, long first, long second)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, second);
        var proof = new List<byte[]>();
        if (first > 0 && first < second)
        {
            SubProof(source, first, 0, second, true, proof);
        }

        return proof;
    }

    private static void SubProof(ISubtreeSource source, long m, long start, long end, bool whole, List<byte[]> proof)
    {
        var n = end - start;
        if (m == n)
        {
            if (!whole)
            {
                proof.Add(source.Subtree(start, end));
            }

            return;
        }

        var k = SplitPoint(n);
        if (m <= k)
        {
            SubProof(source, m, start, start + k, whole, proof);
            proof.Add(source.Subtree(start + k, end));
        }
        else
        {
            SubProof(source, m - k, start + k, end, false, proof);
            proof.Add(source.Subtree(start, start + k));
        }
    }

    /// <summary>
    /// Whether <paramref name="proof"/> shows that the leaf hashed as <paramref name="leafHash"/> is leaf
    /// <paramref name="index"/> of the tree of <paramref name="size"/> leaves whose root is <paramref name="root"/>
    /// (RFC 9162 §2.1.3.2).
    /// </summary>
    public static bool VerifyInclusion(ReadOnlySpan<byte> leafHash, long index, long size, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (index < 0 || index >= size || leafHash.Length != HashSize)
        {
            return false;
        }

        var fn = index;
        var sn = size - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0 || p.Length != HashSize)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = HashChildren(p, r);
                if ((fn & 1) == 0)
                {
                    // Climb past the levels where this node is a left child with no right sibling.
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = HashChildren(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }

    /// <summary>
    /// Whether <paramref name="proof"/> shows that the tree of <paramref name="first"/> leaves with root
    /// <paramref name="firstRoot"/> is a prefix of the tree of <paramref name="second"/> leaves with root
    /// <paramref name="secondRoot"/> (RFC 9162 §2.1.4.2): the log only grew between them.
    /// </summary>
    public static bool VerifyConsistency(long first, long second, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (first < 0 || first > second)
        {
            return false;
        }

        if (first == second)
        {
            return proof.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        }

        if (first == 0)
        {
            // Every tree extends the empty one; the RFC's proof for it is empty.
            return proof.Count == 0 && firstRoot.SequenceEqual(EmptyRoot());
        }

        if (proof.Count == 0 || proof.Any(p => p.Length != HashSize))
        {
            return false;
        }

        // When the first tree is a complete subtree of the second (first a power of two), its root starts the path.
        var path = BitOperations.IsPow2(first) ? [firstRoot.ToArray(), .. proof] : proof.ToList();
        var fn = first - 1;
        var sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = HashChildren(c, fr);
                sr = HashChildren(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = HashChildren(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(fr, firstRoot) && CryptographicOperations.FixedTimeEquals(sr, secondRoot);
    }

    /// <summary>MTH(D[start:end]) of in-memory leaf hashes, recursively (end &gt; start).</summary>
    public static byte[] Subtree(IReadOnlyList<byte[]> leafHashes, long start, long end)
    {
        if (end - start == 1)
        {
            return leafHashes[(int)start];
        }

        var k = SplitPoint(end - start);
        return HashChildren(Subtree(leafHashes, start, start + k), Subtree(leafHashes, start + k, end));
    }
}

/// <summary>Where a proof's subtree hashes come from: leaf hashes in memory, or read from a store.</summary>
public interface ISubtreeSource
{
    /// <summary>MTH of leaves <c>[start, end)</c>, <c>end &gt; start</c>.</summary>
    byte[] Subtree(long start, long end);
}

/// <summary>Leaf hashes already in memory as a proof's source.</summary>
public sealed class LeafHashes(IReadOnlyList<byte[]> leafHashes) : ISubtreeSource
{
    public byte[] Subtree(long start, long end) => MerkleTree.Subtree(leafHashes, start, end);
}

/// <summary>
/// The right edge of a log's tree (its compact range from 0): the roots of the perfect subtrees its size decomposes into,
/// largest first, one per set bit of the size. Appending a leaf merges equal-sized subtrees, so a batch of b leaves costs
/// b leaf hashes and fewer than b + log₂ n node hashes, never a pass over the log. Not thread-safe.
/// </summary>
public sealed class MerkleFrontier
{
    // _nodes[i] is a perfect subtree; their sizes are the set bits of Size, largest first.
    private readonly List<byte[]> _nodes;

    public MerkleFrontier()
        : this(0, [])
    {
    }

    private MerkleFrontier(long size, List<byte[]> nodes)
    {
        Size = size;
        _nodes = nodes;
    }

    public long Size { get; private set; }

    /// <summary>The subtree roots, largest first (as stored with a tree head to restore the frontier).</summary>
    public IReadOnlyList<byte[]> Nodes => _nodes;

    /// <summary>A frontier restored from its stored nodes; refuses nodes that do not fit the size.</summary>
    public static MerkleFrontier Restore(long size, IReadOnlyList<byte[]> nodes)
    {
        if (size < 0 || BitOperations.PopCount((ulong)size) != nodes.Count || nodes.Any(n => n.Length != MerkleTree.HashSize))
        {
            throw new InvalidOperationException($"A log frontier of size {size} needs {BitOperations.PopCount((ulong)Math.Max(0, size))} hashes, not {nodes.Count}.");
        }

        return new MerkleFrontier(size, [.. nodes.Select(n => n.ToArray())]);
    }

    /// <summary>The frontier of the first <paramref name="size"/> leaves of <paramref name="source"/>.</summary>
    public static MerkleFrontier Of(ISubtreeSource source, long size)
    {
        var nodes = new List<byte[]>();
        long start = 0;
        for (var bit = 62; bit >= 0; bit--)
        {
            var width = 1L << bit;
            if ((size & width) != 0)
            {
                nodes.Add(source.Subtree(start, start + width));
                start += width;
            }
        }

        return new MerkleFrontier(size, nodes);
    }

    public MerkleFrontier Clone() => new(Size, [.. _nodes]);

    /// <summary>Appends one leaf by its hash.</summary>
    public void Append(byte[] leafHash)
    {
        var node = leafHash;
        // The trailing one bits of the old size are the subtrees that merge with the new leaf, smallest first.
        for (var size = Size; (size & 1) == 1; size >>= 1)
        {
            node = MerkleTree.HashChildren(_nodes[^1], node);
            _nodes.RemoveAt(_nodes.Count - 1);
        }

        _nodes.Add(node);
        Size++;
    }

    /// <summary>The root of the tree so far: the subtree roots folded from the smallest (RFC 9162's MTH).</summary>
    public byte[] Root()
    {
        if (_nodes.Count == 0)
        {
            return MerkleTree.EmptyRoot();
        }

        var root = _nodes[^1];
        for (var i = _nodes.Count - 2; i >= 0; i--)
        {
            root = MerkleTree.HashChildren(_nodes[i], root);
        }

        return root;
    }
}
