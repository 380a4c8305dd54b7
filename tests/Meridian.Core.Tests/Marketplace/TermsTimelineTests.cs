using Meridian.Core.Marketplace;

namespace Meridian.Core.Tests.Marketplace;

public sealed class TermsTimelineTests
{
    private static readonly DateTimeOffset Created = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Subscribed = Created.AddDays(1);
    private static readonly DateTimeOffset Raised = Created.AddDays(10);
    private static readonly TimeSpan Notice = TimeSpan.FromDays(30);

    private static readonly TermsChange<decimal>[] Changes =
    [
        new(Created, Created, 3m),
        new(Raised, Raised + Notice, 1_000_000m),
    ];

    [Fact]
    public void An_existing_subscriber_keeps_the_accepted_value_until_the_notice_ends()
    {
        var timeline = TermsTimeline<decimal>.Of(Changes, [Subscribed]);

        Assert.Equal(3m, timeline.At(Raised));
        Assert.Equal(3m, timeline.At(Raised + Notice - TimeSpan.FromTicks(1)));
        Assert.Equal(1_000_000m, timeline.At(Raised + Notice));
    }

    [Fact]
    public void Accepting_sooner_binds_the_subscriber_from_the_acceptance()
    {
        var accepted = Raised.AddDays(3);
        var timeline = TermsTimeline<decimal>.Of(Changes, [Subscribed, accepted]);

        Assert.Equal(3m, timeline.At(accepted.AddTicks(-1)));
        Assert.Equal(1_000_000m, timeline.At(accepted));
        Assert.Equal([Created, accepted], timeline.Points.Select(p => p.From));
    }

    [Fact]
    public void A_subscriber_after_the_announcement_gets_the_new_value_at_once()
    {
        var late = Raised.AddHours(1);

        Assert.Equal(1_000_000m, TermsTimeline<decimal>.Of(Changes, [late]).At(late));
    }

    [Fact]
    public void An_acceptance_does_not_take_a_change_announced_after_it()
    {
        var second = new TermsChange<decimal>(Raised.AddDays(5), Raised.AddDays(5) + Notice, 7m);
        var accepted = Raised.AddDays(1);
        var timeline = TermsTimeline<decimal>.Of([.. Changes, second], [Subscribed, accepted]);

        Assert.Equal(1_000_000m, timeline.At(second.AnnouncedAt.AddDays(1)));
        Assert.Equal(7m, timeline.At(second.BindingAt));
    }

    [Fact]
    public void Pending_lists_what_is_announced_and_not_yet_binding_on_the_subscriber()
    {
        var pending = TermsTimeline<decimal>.Pending(Changes, Subscribed, Raised.AddDays(1));

        Assert.Equal(Raised + Notice, Assert.Single(pending).BindingAt);
        Assert.Empty(TermsTimeline<decimal>.Pending(Changes, Raised.AddHours(1), Raised.AddDays(1)));
        Assert.Empty(TermsTimeline<decimal>.Pending(Changes, Subscribed, Raised + Notice));
    }
}
