using System.CommandLine;
using Meridian.Cli.Commands;

// No termination handler of the parser's own: it would end the process two seconds after SIGTERM, cutting a draining
// node's streams and its record writers' flush. `serve` and `simulate` stop through the host's own SIGTERM/SIGINT
// handling (drain, flush, exit 0); the other commands end as any process does.
return await MeridianCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
