using Meridian.Cli.Commands;

return await MeridianCommand.Create().Parse(args).InvokeAsync();
