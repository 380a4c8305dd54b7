using System.CommandLine;

namespace Meridian.Cli.Commands;

/// <summary>The <c>meridian</c> command tree.</summary>
public static class MeridianCommand
{
    public static RootCommand Create() => Create(CliContext.CreateDefault());

    /// <summary>The command tree writing to and calling through <paramref name="context"/> (tests pass their own).</summary>
    internal static RootCommand Create(CliContext context)
    {
        var root = new RootCommand("Meridian: a self-hostable model marketplace gateway (Anthropic Messages API compatible).");
        root.Subcommands.Add(ServeCommand.Create(context));
        root.Subcommands.Add(SimulateCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create(context));
        root.Subcommands.Add(SecretsCommand.Create(context));
        AdminCommands.AddTo(root, context);
        return root;
    }
}
