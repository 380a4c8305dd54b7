using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Gateway.Metering;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>The billing rule, ending by ending (docs/metering.md, "What a request is billed").</summary>
public sealed class UsageMeterTests
{
    private static readonly Region EastUs = new("eastus", "us", "us", "East US");
    private static readonly KeyRecord Key = new("key_1", "hash", "res_1", "ten_1", EastUs, null);
    private static readonly DeploymentRoute Deployment = new("dep_1", "my-model", "ten_1", "res_1", "pub_1", "off_1", "model-1", 4096,
        HostingOption.Platform, DeploymentType.Regional, EastUs);

    [Fact]
    public void A_complete_answer_is_billed_the_backends_own_usage()
    {
        var meter = new UsageMeter { CountedInputTokens = 99 };
        meter.Observe(new MessageStartEvent("msg_1", "model-1", new Usage(40, 1, 5, 7)));
        meter.Observe(new TextDeltaEvent(0, "Hello there, how are you?"));
        meter.Observe(new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 12)));

        var record = meter.ToUsageRecord(AnswerEnding.Complete, "req_1", DateTimeOffset.UnixEpoch, Key, Deployment)!;
        Assert.Equal(new TokenCounts(40, 12, 5, 7), record.Tokens);
        Assert.Equal(UsageSource.Backend, record.Source);
        Assert.Equal(("ten_1", "dep_1", "off_1", "pub_1", "model-1", "us"), (record.TenantId, record.DeploymentId, record.OfferId, record.PublisherId, record.Model, record.StorageGeography));
    }

    [Fact]
    public void A_backend_without_usage_is_counted_with_the_tokenizer()
    {
        const string text = "The quick brown fox jumps over the lazy dog.";
        var meter = new UsageMeter { CountedInputTokens = 21 };
        meter.Observe(new MessageStartEvent("msg_1", "model-1", new Usage(0, 0)));
        meter.Observe(new TextDeltaEvent(0, text));
        meter.Observe(new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 0)));

        var record = meter.ToUsageRecord(AnswerEnding.Complete, "req_1", DateTimeOffset.UnixEpoch, Key, Deployment)!;
        Assert.Equal(new TokenCounts(21, TokenCounter.Count(text), 0, 0), record.Tokens);
        Assert.Equal(UsageSource.Counted, record.Source);
    }

    [Theory]
    [InlineData(AnswerEnding.ClientAborted)]
    [InlineData(AnswerEnding.BlockedOnOutput)]
    public void An_answer_cut_short_on_the_tenants_side_is_billed_the_text_and_tool_input_generated_so_far(AnswerEnding ending)
    {
        var meter = new UsageMeter { CountedInputTokens = 10 };
        // message_start's output count is a placeholder; a backend may even put the whole budget there.
        meter.Observe(new MessageStartEvent("msg_1", "model-1", new Usage(30, 56)));
        meter.Observe(new TextDeltaEvent(0, "Let me look that up for you. "));
        meter.Observe(new InputJsonDeltaEvent(1, "{\"city\": \"Paris\", \"unit\":"));

        var record = meter.ToUsageRecord(ending, "req_1", DateTimeOffset.UnixEpoch, Key, Deployment)!;
        Assert.Equal(30, record.Tokens.Input);
        Assert.Equal(TokenCounter.Count("Let me look that up for you. {\"city\": \"Paris\", \"unit\":"), record.Tokens.Output);
        Assert.Equal(UsageSource.Partial, record.Source);
    }

    [Fact]
    public void An_answer_the_backend_failed_is_not_billed()
    {
        var meter = new UsageMeter { CountedInputTokens = 10 };
        meter.Observe(new MessageStartEvent("msg_1", "model-1", new Usage(30, 1)));
        meter.Observe(new TextDeltaEvent(0, "Half an answer"));

        Assert.Null(meter.ToUsageRecord(AnswerEnding.BackendFailed, "req_1", DateTimeOffset.UnixEpoch, Key, Deployment));
    }

    [Fact]
    public void No_answer_started_means_no_usage()
    {
        var meter = new UsageMeter { CountedInputTokens = 10 };
        Assert.Null(meter.ToUsageRecord(AnswerEnding.NotStarted, "req_1", DateTimeOffset.UnixEpoch, Key, Deployment));
        Assert.Null(meter.ToUsageRecord(AnswerEnding.Complete, "req_1", DateTimeOffset.UnixEpoch, Key, Deployment));
    }
}
