using System.CommandLine;
using System.Text.Json;
using Meridian.Admin.Contract;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian offers list|show|terms</c>: the offer catalogue and the text of its terms.</summary>
internal static class OffersCommand
{
    public static Command Create(CliContext context)
    {
        var list = new Command("list", "List the offers of the catalogue: models, hosting options, prices, current terms.")
            .WithAction(context, async (call, cancellationToken) =>
            {
                var offers = await call.Api.ListAsync(AdminClient.Path("offers"), AdminJsonContext.Default.ListResponseOfferView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(offers.Json);
                    return AdminCommand.Ok;
                }

                if (offers.Value.Count == 0)
                {
                    call.Out.MarkupLine("[grey]No offers.[/]");
                    return AdminCommand.Ok;
                }

                // The name and the full prices are in "offers show"; this table has to fit a 100-column terminal.
                var table = CliOutput.Table(call.Out, "Id", "Publisher", "Models", "Hosting", "Types", "$/1M in/out", "Terms");
                foreach (var offer in offers.Value)
                {
                    table.AddRow(
                        CliOutput.Escape(offer.Id),
                        CliOutput.Escape(offer.PublisherId),
                        CliOutput.Cell(call.Out, offer.Models?.Select(m => m.ModelId)),
                        CliOutput.Cell(call.Out, offer.HostingOptions),
                        CliOutput.Cell(call.Out, offer.DeploymentTypes),
                        CliOutput.Escape(offer.Prices is { } p ? $"{p.Input} / {p.Output}" : null),
                        CliOutput.Escape(offer.Terms is { } t ? $"v{t.Version}" : null));
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });

        var id = new Argument<string>("offer-id") { Description = "The offer's id, e.g. off_claude." };
        var show = new Command("show", "Show one offer: its models, prices per million tokens, hosting options and current terms.") { id }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var offer = await call.Api.GetAsync(AdminClient.Path("offers", call.Value(id)!), AdminJsonContext.Default.OfferView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(offer.Json);
                    return AdminCommand.Ok;
                }

                Print(call.Out, offer.Value);
                return AdminCommand.Ok;
            });

        var termsOf = new Argument<string>("offer-id") { Description = "The offer's id, e.g. off_claude." };
        var version = new Option<int?>("--version") { Description = "The terms version to show (default: the one in effect now)." };
        var terms = new Command("terms", "Show the text of an offer's terms version, with its SHA-256 and when it takes effect: what a subscriber accepts.") { termsOf, version }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var offerId = call.Value(termsOf)!;
                var wanted = call.Value(version);
                if (wanted is null)
                {
                    var offer = await call.Api.GetAsync(AdminClient.Path("offers", offerId), AdminJsonContext.Default.OfferView, cancellationToken);
                    wanted = offer.Value.Terms?.Version;
                }

                var versions = await call.Api.GetAsync(AdminClient.Path("offers", offerId, "terms"), AdminJsonContext.Default.ListResponseTermsDocumentView, cancellationToken);
                if (versions.Value.Data.FirstOrDefault(t => t.Version == wanted) is not { } document)
                {
                    call.Context.Error.MarkupLineInterpolated($"[red]error:[/] offer {offerId} has no terms version {wanted}; it has {string.Join(", ", versions.Value.Data.Select(t => t.Version))}.");
                    return AdminCommand.Failed;
                }

                if (call.Json)
                {
                    using var json = JsonDocument.Parse(versions.Json);
                    call.WriteJson(json.RootElement.GetProperty("data").EnumerateArray().First(t => t.GetProperty("version").GetInt32() == wanted).GetRawText());
                    return AdminCommand.Ok;
                }

                call.Out.Write(CliOutput.Details()
                    .Row("Offer", offerId)
                    .Row("Terms version", document.Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Row("Sha256", document.Sha256)
                    .Row("Effective", CliOutput.Time(document.EffectiveAt)));
                call.Out.WriteLine();
                // Verbatim, not as markup: the text is what the hash covers.
                call.Out.Write(new Text(document.Text));
                call.Out.WriteLine();
                return AdminCommand.Ok;
            });

        return new Command("offers", "The offer catalogue.") { list, show, terms };
    }

    public static void Print(IAnsiConsole console, OfferView offer)
    {
        var details = CliOutput.Details()
            .Row("Offer", offer.Id)
            .Row("Name", offer.Name)
            .Row("Publisher", offer.PublisherId)
            .Row("Hosting options", CliOutput.List(offer.HostingOptions))
            .Row("Deployment types", CliOutput.List(offer.DeploymentTypes));
        if (offer.Prices is { } prices)
        {
            details.Row("USD per 1M tokens", $"input {prices.Input}, output {prices.Output}, cache write {prices.CacheWrite}, cache read {prices.CacheRead}");
        }

        if (offer.Terms is { } terms)
        {
            details.Row("Terms", $"version {terms.Version}, sha256 {terms.Sha256}, effective {CliOutput.Time(terms.EffectiveAt)}");
        }

        console.Write(details);
        if (offer.Models is { Count: > 0 } models)
        {
            console.WriteLine();
            var table = CliOutput.Table(console, "Model", "Display name", "Context window", "Max output");
            foreach (var model in models)
            {
                table.AddRow(
                    CliOutput.Escape(model.ModelId),
                    CliOutput.Escape(model.DisplayName),
                    CliOutput.Escape(model.ContextWindow?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
                    CliOutput.Escape(model.MaxOutputTokens?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
            }

            console.Write(table);
        }
    }
}
