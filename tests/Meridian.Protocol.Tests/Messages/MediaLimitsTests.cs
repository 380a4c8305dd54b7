using Meridian.Protocol.Messages;
using static Meridian.Protocol.Tests.Messages.ParseHelper;

namespace Meridian.Protocol.Tests.Messages;

/// <summary>Images and documents: data that is what it claims, within Anthropic's sizes; URLs never pointed inward.</summary>
public sealed class MediaLimitsTests
{
    public static TheoryData<string, byte[]> Images() => new()
    {
        { "image/png", TinyMedia.Png(640, 480) },
        { "image/gif", TinyMedia.Gif(640, 480) },
        { "image/jpeg", TinyMedia.Jpeg(640, 480) },
        { "image/webp", TinyMedia.WebP(640, 480) },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void An_image_whose_bytes_match_its_media_type_is_accepted_and_noted(string mediaType, byte[] bytes)
    {
        using var request = Ok(Body(UserSays($"[{Image(mediaType, bytes)},{{\"type\":\"text\",\"text\":\"what is this?\"}}]")));

        var feature = Assert.Single(request.Features.Items);
        Assert.Equal(FeatureKind.ImageData, feature.Kind);
        Assert.Equal("messages.0.content.0.source", feature.Path);
    }

    [Fact]
    public void Image_data_that_is_not_base64_is_refused()
    {
        Fails(Body(UserSays("""[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"not*base64!"}}]""")),
            "messages.0.content.0.source.data");
    }

    [Fact]
    public void Image_bytes_that_are_another_format_than_declared_are_refused()
    {
        var message = Fails(Body(UserSays($"[{Image("image/png", TinyMedia.Jpeg(10, 10))}]")), "messages.0.content.0.source.data");

        Assert.Contains("image/jpeg, not the declared media type image/png", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_bytes_that_are_no_image_at_all_are_refused()
    {
        Fails(Body(UserSays($"[{Image("image/gif", "hello, world"u8.ToArray())}]")), "messages.0.content.0.source.data");
    }

    [Fact]
    public void An_unsupported_image_media_type_is_refused()
    {
        Fails(Body(UserSays($"[{Image("image/bmp", TinyMedia.Png(1, 1))}]")), "messages.0.content.0.source.media_type");
    }

    [Fact]
    public void An_image_larger_than_8000_pixels_on_a_side_is_refused()
    {
        Fails(Body(UserSays($"[{Image("image/png", TinyMedia.Png(8001, 10))}]")), "messages.0.content.0.source.data");
    }

    [Fact]
    public void Image_data_over_5_MB_of_base64_is_refused()
    {
        var bytes = new byte[4 * 1024 * 1024];
        TinyMedia.Png(10, 10).CopyTo(bytes, 0);

        var message = Fails(Body(UserSays($"[{Image("image/png", bytes)}]")), "messages.0.content.0.source.data");
        Assert.Contains("5 MB", message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_a_request_of_more_than_20_images_each_must_fit_2000_pixels()
    {
        var small = Image("image/png", TinyMedia.Png(100, 100));
        var blocks = Enumerable.Repeat(small, 20).Append(Image("image/png", TinyMedia.Png(2001, 100)));

        Fails(Body(UserSays("[" + string.Join(',', blocks) + "]")), "messages.0.content.20.source.data");
    }

    [Fact]
    public void Twenty_images_may_be_large()
    {
        var blocks = Enumerable.Repeat(Image("image/png", TinyMedia.Png(4000, 3000)), 20);

        using var request = Ok(Body(UserSays("[" + string.Join(',', blocks) + "]")));
    }

    [Fact]
    public void More_than_100_images_are_refused()
    {
        var blocks = Enumerable.Repeat(Image("image/png", TinyMedia.Png(10, 10)), 101);

        Fails(Body(UserSays("[" + string.Join(',', blocks) + "]")), "messages");
    }

    [Fact]
    public void Images_inside_a_tool_result_are_checked_too()
    {
        Fails(Body($$$"""
            [{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"shot","input":{}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{{{Image("image/webp", TinyMedia.Png(1, 1))}}}]}]}]
            """), "messages.2.content.0.content.0.source.data");
    }

    // ---------------------------------------------------------------- PDFs

    [Fact]
    public void A_standard_pdf_is_accepted_with_its_pages_counted()
    {
        using var request = Ok(Body(UserSays($"[{Pdf(TinyMedia.Pdf(3))}]")));

        Assert.Equal(FeatureKind.PdfDocument, Assert.Single(request.Features.Items).Kind);
        Assert.Equal(3, request.Features.PdfPages);
    }

    [Fact]
    public void An_encrypted_pdf_is_refused()
    {
        Fails(Body(UserSays($"[{Pdf(TinyMedia.Pdf(1, encrypted: true))}]")), "messages.0.content.0.source.data");
    }

    [Fact]
    public void Pdf_data_that_is_not_a_pdf_is_refused()
    {
        Fails(Body(UserSays($"[{Pdf(TinyMedia.Png(1, 1))}]")), "messages.0.content.0.source.data");
    }

    [Fact]
    public void More_than_600_pdf_pages_in_a_request_are_refused()
    {
        Fails(Body(UserSays($"[{Pdf(TinyMedia.Pdf(400))},{Pdf(TinyMedia.Pdf(201))}]")), "messages");
    }

    [Fact]
    public void A_model_with_a_200k_window_reads_at_most_100_pages_and_a_larger_one_600()
    {
        using var request = Ok(Body(UserSays($"[{Pdf(TinyMedia.Pdf(101))}]")));

        Assert.NotNull(ModelLimits.Check(request, inputTokens: 1000, contextWindow: 200_000));
        Assert.Null(ModelLimits.Check(request, inputTokens: 1000, contextWindow: 1_000_000));
    }

    [Fact]
    public void Input_longer_than_the_context_window_is_refused_as_Anthropic_words_it()
    {
        using var request = Ok(Body(UserSays("\"hi\"")));

        var error = ModelLimits.Check(request, inputTokens: 200_001, contextWindow: 200_000);

        Assert.Equal("prompt is too long: 200001 tokens > 200000 maximum", error?.Message);
        Assert.Null(ModelLimits.Check(request, inputTokens: 200_000, contextWindow: 200_000));
    }

    // ---------------------------------------------------------------- URL sources

    [Theory]
    [InlineData("http://127.0.0.1/cat.png")]
    [InlineData("http://localhost:8080/cat.png")]
    [InlineData("http://[::1]/cat.png")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("http://10.1.2.3/x.png")]
    [InlineData("http://172.20.0.5/x.png")]
    [InlineData("https://192.168.1.1/x.png")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://[::ffff:127.0.0.1]/x.png")]
    [InlineData("http://[fe80::1]/x.png")]
    [InlineData("http://0.0.0.0/x.png")]
    [InlineData("http://2130706433/x.png")]
    [InlineData("http://0x7f.1/x.png")]
    [InlineData("file:///etc/passwd")]
    public void A_url_source_pointing_inward_is_refused(string url)
    {
        Fails(Body(UserSays($"[{UrlImage(url)}]")), "messages.0.content.0.source.url");
    }

    [Fact]
    public void A_public_url_source_is_accepted_and_noted_for_the_upstream_to_fetch()
    {
        using var request = Ok(Body(UserSays($"[{UrlImage("https://upload.wikimedia.org/cat.jpg")}]")));

        Assert.Equal(FeatureKind.UrlSource, Assert.Single(request.Features.Items).Kind);
    }

    [Fact]
    public void A_document_url_source_pointing_inward_is_refused_too()
    {
        Fails(Body(UserSays("""[{"type":"document","source":{"type":"url","url":"http://127.0.0.1:9000/report.pdf"}}]""")), "messages.0.content.0.source.url");
    }
}
