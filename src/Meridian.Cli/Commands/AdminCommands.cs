using System.CommandLine;

namespace Meridian.Cli.Commands;

/// <summary>The commands over the admin API (docs/admin-api.md), in the order a new user meets them.</summary>
internal static class AdminCommands
{
    public static void AddTo(RootCommand root, CliContext context)
    {
        root.Subcommands.Add(WorldCommand.Create(context));
        root.Subcommands.Add(OffersCommand.Create(context));
        root.Subcommands.Add(TenantsCommand.Create(context));
        root.Subcommands.Add(SubscribeCommand.Create(context));
        root.Subcommands.Add(ResourcesCommand.Create(context));
        root.Subcommands.Add(DeployCommand.Create(context));
        root.Subcommands.Add(DeploymentsCommand.Create(context));
        root.Subcommands.Add(KeysCommand.Create(context));
        root.Subcommands.Add(InvoicesCommand.Create(context));
        root.Subcommands.Add(SettlementCommand.Create(context));
        root.Subcommands.Add(ShareCommand.Create(context));
        root.Subcommands.Add(WhoamiCommand.Create(context));
        root.Subcommands.Add(ReceiptsCommand.Create(context));
        root.Subcommands.Add(ReportCommand.Create(context));
        root.Subcommands.Add(CasesCommand.Create(context));
    }
}
