using System.Buffers.Binary;

namespace Meridian.Protocol.Messages;

/// <summary>
/// Reads just enough of an image or a PDF to refuse what Anthropic refuses: bytes that are not the declared media type
/// (checked by magic number), images larger than the API takes, encrypted or truncated PDFs. It decodes no pixels and
/// parses no PDF objects: an image's size comes from its header (PNG IHDR, GIF screen descriptor, WebP VP8/VP8L/VP8X,
/// JPEG start-of-frame), and a PDF's page count is the number of <c>/Type /Page</c> objects in its uncompressed
/// text — a lower bound, since PDF 1.5 object streams can hide them; an Anthropic upstream still counts exactly.
/// Stateless and thread-safe.
/// </summary>
internal static class MediaCheck
{
    /// <summary>The image media types the Messages API accepts (Anthropic, vision).</summary>
    public static readonly string[] ImageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    private static ReadOnlySpan<byte> Png => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> PdfMagic => "%PDF-"u8;

    private static ReadOnlySpan<byte> PdfEnd => "%%EOF"u8;

    private static ReadOnlySpan<byte> EncryptKey => "/Encrypt"u8;

    private static ReadOnlySpan<byte> TypeKey => "/Type"u8;

    private static ReadOnlySpan<byte> PageName => "/Page"u8;

    /// <summary>The media type the bytes' magic number says, or null when they are none of the accepted ones.</summary>
    public static string? Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(Png))
        {
            return "image/png";
        }

        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        {
            return "image/jpeg";
        }

        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8))
        {
            return "image/gif";
        }

        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return "image/webp";
        }

        return PdfHeaderAt(bytes) >= 0 ? "application/pdf" : null;
    }

    /// <summary>
    /// Checks an image's bytes against its declared media type and reads its size. Returns why it is refused (without
    /// the field path), or null with <paramref name="width"/> and <paramref name="height"/> set.
    /// </summary>
    public static string? CheckImage(ReadOnlySpan<byte> bytes, string mediaType, out int width, out int height)
    {
        width = 0;
        height = 0;
        var actual = Sniff(bytes);
        if (actual != mediaType)
        {
            return actual is null
                ? $"the image data is not a valid {mediaType} image (its first bytes match no supported image format)"
                : $"the image data is {actual}, not the declared media type {mediaType}";
        }

        var read = mediaType switch
        {
            "image/png" => TryPngSize(bytes, out width, out height),
            "image/gif" => TryGifSize(bytes, out width, out height),
            "image/webp" => TryWebpSize(bytes, out width, out height),
            _ => TryJpegSize(bytes, out width, out height),
        };

        return read && width > 0 && height > 0
            ? null
            : $"the image data is not a valid {mediaType} image (its header is truncated or malformed)";
    }

    /// <summary>Checks a PDF's bytes; returns why it is refused, or null with its (lower-bound) page count.</summary>
    public static string? CheckPdf(ReadOnlySpan<byte> bytes, out int pages)
    {
        pages = 0;
        if (PdfHeaderAt(bytes) < 0)
        {
            return "the document data is not a PDF (it has no %PDF- header)";
        }

        // A PDF ends with %%EOF, possibly followed by a line end or a little trailing garbage.
        var tail = bytes[Math.Max(0, bytes.Length - 1024)..];
        if (tail.IndexOf(PdfEnd) < 0)
        {
            return "the PDF is truncated (it has no %%EOF marker)";
        }

        if (bytes.IndexOf(EncryptKey) >= 0)
        {
            return "the PDF is encrypted or password-protected; only standard PDFs are supported";
        }

        pages = CountPages(bytes);
        return null;
    }

    /// <summary>Where <c>%PDF-</c> starts: readers accept it within the first 1,024 bytes (ISO 32000-1, 7.5.2 note).</summary>
    private static int PdfHeaderAt(ReadOnlySpan<byte> bytes) => bytes[..Math.Min(bytes.Length, 1024)].IndexOf(PdfMagic);

    private static int CountPages(ReadOnlySpan<byte> bytes)
    {
        var count = 0;
        var rest = bytes;
        int at;
        while ((at = rest.IndexOf(TypeKey)) >= 0)
        {
            rest = rest[(at + TypeKey.Length)..];
            var value = rest.TrimStart(" \t\r\n"u8);
            if (value.StartsWith(PageName) && (value.Length == PageName.Length || !IsNameChar(value[PageName.Length])))
            {
                count++;
            }
        }

        return count;
    }

    private static bool IsNameChar(byte b) => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9');

    private static bool TryPngSize(ReadOnlySpan<byte> bytes, out int width, out int height)
    {
        // Signature (8), IHDR chunk length (4) and type (4), then width and height, big-endian.
        width = height = 0;
        if (bytes.Length < 24 || !bytes[12..16].SequenceEqual("IHDR"u8))
        {
            return false;
        }

        width = ClampToInt(BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
        height = ClampToInt(BinaryPrimitives.ReadUInt32BigEndian(bytes[20..]));
        return true;
    }

    private static bool TryGifSize(ReadOnlySpan<byte> bytes, out int width, out int height)
    {
        // The logical screen descriptor follows the 6-byte signature: width and height, little-endian.
        width = height = 0;
        if (bytes.Length < 10)
        {
            return false;
        }

        width = BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]);
        height = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        return true;
    }

    private static bool TryWebpSize(ReadOnlySpan<byte> bytes, out int width, out int height)
    {
        width = height = 0;
        if (bytes.Length < 30)
        {
            return false;
        }

        var chunk = bytes[12..16];
        if (chunk.SequenceEqual("VP8 "u8))
        {
            // Lossy: a key frame's start code 9D 01 2A, then 14-bit width and height.
            if (bytes[23] != 0x9D || bytes[24] != 0x01 || bytes[25] != 0x2A)
            {
                return false;
            }

            width = BinaryPrimitives.ReadUInt16LittleEndian(bytes[26..]) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]) & 0x3FFF;
            return true;
        }

        if (chunk.SequenceEqual("VP8L"u8))
        {
            // Lossless: signature 0x2F, then 14 bits of width - 1 and 14 bits of height - 1.
            if (bytes[20] != 0x2F)
            {
                return false;
            }

            var bits = BinaryPrimitives.ReadUInt32LittleEndian(bytes[21..]);
            width = (int)(bits & 0x3FFF) + 1;
            height = (int)((bits >> 14) & 0x3FFF) + 1;
            return true;
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            // Extended: 24-bit canvas width - 1 and height - 1 after 4 bytes of flags.
            width = (bytes[24] | (bytes[25] << 8) | (bytes[26] << 16)) + 1;
            height = (bytes[27] | (bytes[28] << 8) | (bytes[29] << 16)) + 1;
            return true;
        }

        return false;
    }

    private static bool TryJpegSize(ReadOnlySpan<byte> bytes, out int width, out int height)
    {
        // Walk the marker segments after SOI until a start-of-frame, which holds the height and width.
        width = height = 0;
        var at = 2;
        while (at + 4 <= bytes.Length)
        {
            if (bytes[at] != 0xFF)
            {
                return false;
            }

            var marker = bytes[at + 1];
            if (marker == 0xFF)
            {
                at++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                at += 2; // standalone markers carry no length
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                return false; // end of image or start of scan before any frame header
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 2)..]);
            if (length < 2)
            {
                return false;
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (at + 9 > bytes.Length)
                {
                    return false;
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 7)..]);
                return true;
            }

            at += 2 + length;
        }

        return false;
    }

    private static int ClampToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;
}
