using System.CommandLine;

namespace Meridian.Cli.Commands;

/// <summary>The <c>meridian</c> command tree.</summary>
public static class MeridianCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Meridian: a self-hostable model marketplace gateway (Anthropic Messages API compatible).");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(SimulateCommand.Create());
        return root;
    }
}
