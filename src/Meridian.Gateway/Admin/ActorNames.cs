using Meridian.Storage.Control;

namespace Meridian.Gateway.Admin;

/// <summary>
/// The display names of the people that "by" fields name (<c>token:tok_…</c>), read once per answer so a page of keys,
/// acceptances or suspensions shows "Ana Lima" beside the id. An actor without a token (<c>system:…</c>) has none.
/// </summary>
internal sealed class ActorNames(IReadOnlyDictionary<string, string> names)
{
    public static ActorNames For(AdminTokenStore tokens, IEnumerable<string?> actors) => new(tokens.NamesOf(actors));

    public string? Of(string? actor) => actor is not null && names.TryGetValue(actor, out var name) ? name : null;
}
