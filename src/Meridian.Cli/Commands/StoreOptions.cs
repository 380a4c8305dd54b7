using System.CommandLine;
using Meridian.Gateway.Configuration;
using Meridian.Storage;
using Microsoft.Extensions.Configuration;

namespace Meridian.Cli.Commands;

/// <summary>The storage options <c>serve</c> and <c>migrate</c> share: engine, PostgreSQL server, schema prefix, per-geography servers.</summary>
internal sealed class StoreOptions
{
    private readonly Option<string?> _store = new("--store")
    {
        Description = "Storage engine: sqlite (embedded files in the data folder, default) or postgres (env MERIDIAN_STORE); see docs/scale-out.md.",
    };

    private readonly Option<string?> _postgres = new("--postgres")
    {
        Description = "PostgreSQL connection string of the control schema and of every geography without its own (env MERIDIAN_POSTGRES).",
    };

    private readonly Option<string?> _schema = new("--postgres-schema")
    {
        Description = $"Prefix of this cluster's PostgreSQL schemas (env MERIDIAN_POSTGRES_SCHEMA; default {StorageSettings.DefaultSchemaPrefix}).",
    };

    private readonly Option<string[]> _geographies = new("--postgres-geo")
    {
        Description = "GEOGRAPHY=CONNECTION_STRING: keep that geography's data on its own PostgreSQL server (repeatable; env MERIDIAN_POSTGRES_GEO_<NAME>).",
        AllowMultipleArgumentsPerToken = false,
    };

    public StoreOptions()
    {
        _store.AcceptOnlyFromAmong("sqlite", "postgres");
        _geographies.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (value.IndexOf('=', StringComparison.Ordinal) is < 1)
                {
                    result.AddError($"--postgres-geo takes GEOGRAPHY=CONNECTION_STRING, not '{value}'.");
                }
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_store);
        command.Options.Add(_postgres);
        command.Options.Add(_schema);
        command.Options.Add(_geographies);
    }

    /// <summary>
    /// The node's folders and, with <paramref name="stores"/>, its store settings, from the command line over the
    /// environment, read through the configuration as <c>serve</c> reads them: <paramref name="data"/> is <c>--data</c>
    /// (<c>MERIDIAN_DATA</c>), <paramref name="secretsDir"/> <c>--secrets-dir</c> (<c>MERIDIAN_SECRETS_DIR</c>).
    /// </summary>
    public static GatewayOptions Read(ParseResult parse, CliContext context, StoreOptions? stores, Option<string?> data, Option<string?>? secretsDir = null)
    {
        var flags = stores?.Flags(parse).ToList() ?? [];
        foreach (var option in secretsDir is null ? [data] : new[] { data, secretsDir })
        {
            if (parse.GetValue(option) is { } value)
            {
                flags.Add(new(option.Name[2..].ToUpperInvariant().Replace('-', '_'), value));
            }
        }

        var settings = ServeConfiguration.Build(context.EnvironmentVariables(), flags).Get<ServeSettings>() ?? new ServeSettings();
        var options = new GatewayOptions { DataDirectory = settings.Data, SecretsDirectory = settings.SecretsDir };
        if (stores is not null)
        {
            settings.ApplyStorageTo(options);
        }

        return options;
    }

    /// <summary>The store flags given on the command line, as configuration keys of <see cref="ServeSettings"/>.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Flags(ParseResult parse)
    {
        foreach (var option in new[] { _store, _postgres, _schema })
        {
            if (parse.GetValue(option) is { } value)
            {
                yield return new(option.Name[2..].ToUpperInvariant().Replace('-', '_'), value);
            }
        }

        foreach (var value in parse.GetValue(_geographies) ?? [])
        {
            var split = value.IndexOf('=', StringComparison.Ordinal);
            yield return new(ConfigurationPath.Combine(ServeSettings.PostgresGeoSection, value[..split].Trim().ToLowerInvariant()), value[(split + 1)..]);
        }
    }
}
