using System.CommandLine;
using System.Text.Json.Nodes;
using Meridian.Admin.Contract;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian subscribe --tenant T --offer O [--accept-terms VERSION]</c>. Accepting terms is a decision a person
/// makes about a specific text: without <c>--accept-terms</c> the command shows the current version and its hash and
/// asks to re-run with that version; it never accepts on anyone's behalf.
/// </summary>
internal static class SubscribeCommand
{
    public static Command Create(CliContext context)
    {
        var tenant = new Option<string>("--tenant") { Description = "The subscribing tenant's id, e.g. ten_demo.", Required = true };
        var offer = new Option<string>("--offer") { Description = "The offer's id, e.g. off_claude.", Required = true };
        var acceptTerms = new Option<int?>("--accept-terms")
        {
            Description = "Accept this version of the offer's terms (shown when run without it). Re-run with a newer version to re-accept.",
            HelpName = "VERSION",
        };
        return new Command("subscribe", "Subscribe a tenant to an offer by accepting the offer's current terms.") { tenant, offer, acceptTerms }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var tenantId = call.Value(tenant)!;
                var offerId = call.Value(offer)!;
                var current = (await call.Api.GetAsync(AdminClient.Path("offers", offerId), AdminJsonContext.Default.OfferView, cancellationToken)).Value;
                if (current.Terms is not { } terms)
                {
                    throw new AdminProtocolException($"offer '{offerId}' has no terms in its answer");
                }

                var version = call.Value(acceptTerms);
                return version is { } accepted
                    ? await AcceptAsync(call, tenantId, current, terms, accepted, cancellationToken)
                    : await ShowTermsAsync(call, tenantId, current, terms, cancellationToken);
            });
    }

    private static async Task<int> AcceptAsync(AdminCall call, string tenantId, OfferView offer, TermsView terms, int version, CancellationToken cancellationToken)
    {
        if (version != terms.Version)
        {
            call.Warn($"offer {offer.Id}'s current terms are version {terms.Version}, not {version}; new deployments need the current version.");
        }

        var subscription = await call.Api.PostAsync(AdminClient.Path("tenants", tenantId, "subscriptions"),
            new SubscribeRequest(offer.Id, version),
            AdminJsonContext.Default.SubscribeRequest, AdminJsonContext.Default.SubscriptionView, cancellationToken);
        if (call.Json)
        {
            call.WriteJson(subscription.Json);
            return AdminCommand.Ok;
        }

        var s = subscription.Value;
        call.Out.MarkupLine($"Tenant [bold]{Markup.Escape(s.TenantId)}[/] is subscribed to [bold]{Markup.Escape(s.OfferId)}[/] "
            + $"with terms version {s.TermsVersion}{(s.TermsVersion == terms.Version ? $" (sha256 {Markup.Escape(terms.Sha256 ?? "?")})" : "")}.");
        call.Out.Write(CliOutput.Details()
            .Row("Subscription", s.Id)
            .Row("Accepted by", s.AcceptedBy)
            .Row("Accepted at", CliOutput.Time(s.AcceptedAt)));
        return AdminCommand.Ok;
    }

    private static async Task<int> ShowTermsAsync(AdminCall call, string tenantId, OfferView offer, TermsView terms, CancellationToken cancellationToken)
    {
        var subscriptions = await call.Api.ListAsync(AdminClient.Path("tenants", tenantId, "subscriptions"),
            AdminJsonContext.Default.ListResponseSubscriptionView, cancellationToken);
        var existing = subscriptions.Value.FirstOrDefault(s => s.OfferId == offer.Id);
        var upToDate = existing is not null && existing.TermsVersion >= terms.Version;
        var rerun = $"meridian subscribe --tenant {tenantId} --offer {offer.Id} --accept-terms {terms.Version}";
        if (call.Json)
        {
            // No API call answers this question, so the JSON is the CLI's own: the terms and where the tenant stands.
            call.WriteJson(new JsonObject
            {
                ["tenant_id"] = tenantId,
                ["offer_id"] = offer.Id,
                ["terms"] = new JsonObject { ["version"] = terms.Version, ["sha256"] = terms.Sha256, ["effective_at"] = terms.EffectiveAt },
                ["accepted_terms_version"] = existing?.TermsVersion,
                ["accept_command"] = upToDate ? null : rerun,
            }.ToJsonString());
        }
        else
        {
            call.Out.Write(CliOutput.Details()
                .Row("Offer", $"{offer.Id} ({offer.Name}) by {offer.PublisherId}")
                .Row("Terms version", terms.Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Row("Terms sha256", terms.Sha256)
                .Row("Effective", CliOutput.Time(terms.EffectiveAt))
                .Row("Text", $"meridian offers terms {offer.Id} --version {terms.Version}")
                .Row("Tenant", tenantId)
                .Row("Accepted", existing is null ? "nothing yet" : $"version {existing.TermsVersion} by {existing.AcceptedBy} at {CliOutput.Time(existing.AcceptedAt)}"));
            call.Out.WriteLine();
        }

        if (upToDate)
        {
            call.Note($"Tenant {tenantId} has already accepted the current terms (version {terms.Version}) of {offer.Id}; nothing to do.");
            return AdminCommand.Ok;
        }

        // Nothing was accepted: a script that goes on to deploy must not think it was.
        call.Context.Error.MarkupLine($"[yellow]Nothing was accepted.[/] To accept version {terms.Version} (sha256 {Markup.Escape(terms.Sha256 ?? "?")}) for tenant {Markup.Escape(tenantId)}, re-run:");
        call.Context.Error.MarkupLine($"  [bold]{Markup.Escape(rerun)}[/]");
        return AdminCommand.Failed;
    }
}
