using System.Buffers.Binary;
using System.Text;

namespace Meridian.Protocol.Tests.Messages;

/// <summary>The smallest byte sequences that are, by their headers, images and PDFs of a chosen size: what the parser reads.</summary>
internal static class TinyMedia
{
    public static byte[] Png(int width, int height)
    {
        var bytes = new byte[33];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), 13);
        "IHDR"u8.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), (uint)height);
        bytes[24] = 8; // bit depth
        bytes[25] = 2; // truecolour
        return bytes;
    }

    public static byte[] Gif(int width, int height)
    {
        var bytes = new byte[13];
        "GIF89a"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)height);
        return bytes;
    }

    /// <summary>SOI, a JFIF APP0 segment (which the size reader must skip), then a baseline start-of-frame.</summary>
    public static byte[] Jpeg(int width, int height)
    {
        var bytes = new List<byte> { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10 };
        bytes.AddRange("JFIF\0"u8.ToArray());
        bytes.AddRange(new byte[9]);
        bytes.AddRange(new byte[] { 0xFF, 0xC0, 0x00, 0x11, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x03 });
        bytes.AddRange(new byte[9]);
        bytes.AddRange(new byte[] { 0xFF, 0xD9 });
        return [.. bytes];
    }

    /// <summary>An extended (VP8X) WebP: canvas width - 1 and height - 1 as 24-bit little-endian numbers.</summary>
    public static byte[] WebP(int width, int height)
    {
        var bytes = new byte[30];
        "RIFF"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 22);
        "WEBP"u8.CopyTo(bytes.AsSpan(8));
        "VP8X"u8.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), 10);
        WriteUInt24(bytes.AsSpan(24), width - 1);
        WriteUInt24(bytes.AsSpan(27), height - 1);
        return bytes;
    }

    public static byte[] Pdf(int pages, bool encrypted = false)
    {
        var text = new StringBuilder("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
        text.Append("2 0 obj << /Type /Pages /Count ").Append(pages).Append(" >> endobj\n");
        for (var i = 0; i < pages; i++)
        {
            text.Append(3 + i).Append(" 0 obj << /Type /Page /Parent 2 0 R >> endobj\n");
        }

        text.Append("trailer << /Root 1 0 R").Append(encrypted ? " /Encrypt 9 0 R" : string.Empty).Append(" >>\n%%EOF\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static void WriteUInt24(Span<byte> span, int value)
    {
        span[0] = (byte)value;
        span[1] = (byte)(value >> 8);
        span[2] = (byte)(value >> 16);
    }
}
