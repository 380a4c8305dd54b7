using Meridian.Cli.Commands;

namespace Meridian.Cli.Tests.Commands;

/// <summary><c>meridian serve</c> refuses settings it cannot use before it opens a store or a port.</summary>
public sealed class ServeCommandTests
{
    private readonly CliRunner _cli = new(new Dictionary<string, string?>());

    [Theory]
    [InlineData("--stream-min-release-chars=-1")]
    [InlineData("--classifier-timeout-ms=0")]
    [InlineData("--drain-seconds=-1")]
    [InlineData("--drain-delay-seconds=-1")]
    [InlineData("--guard-model=llama_guard=http://127.0.0.1:8000/v1")] // no model
    [InlineData("--guard-model=llama_guard=http://127.0.0.1:8000/v1,model=m,taxonomy=gpt")] // unknown taxonomy
    [InlineData("--guard-model=llama_guard=http://127.0.0.1:8000/v1,model=m")] // no region: it would be inside no boundary
    [InlineData("--classifier-region=llama_guard")]
    [InlineData("--classifier=guard_service=http://127.0.0.1:8000/classify")] // no region: it would be inside no boundary
    [InlineData("--oidc-issuer=http://login.example.com")] // plain http off loopback: its keys could be swapped in transit
    [InlineData("--oidc-issuer=https://login.example.com")] // no client id: no audience to check
    [InlineData("--oidc-person=ana@example.com=operator-admin")] // a person without an issuer
    [InlineData("--oidc-session-hours=0")]
    public async Task An_unusable_setting_stops_the_start_and_writes_nothing(string setting)
    {
        var data = Path.Combine(Path.GetTempPath(), "meridian-serve-tests", Guid.NewGuid().ToString("N"));

        var run = _cli.RunAsync("serve", "--port", "0", "--data", data, setting);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));

        Assert.Same(run, finished);
        var result = await run;
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(Directory.Exists(data), $"{data} was created\n{result}");
    }

    [Theory]
    [InlineData("MERIDIAN_NODES", "0", "--nodes (MERIDIAN_NODES) must be at least 1")]
    [InlineData("MERIDIAN_MAX_IN_FLIGHT", "many", "--max-in-flight (MERIDIAN_MAX_IN_FLIGHT) must be a whole number")]
    [InlineData("MERIDIAN_METRICS_PORT", "70000", "--metrics-port (MERIDIAN_METRICS_PORT) must be a port")]
    [InlineData("MERIDIAN_BIND", "localhost", "--bind (MERIDIAN_BIND) must be an IP address")]
    [InlineData("MERIDIAN_LOG_LEVEL", "Information;Loud", "'Loud'")]
    [InlineData("MERIDIAN_STORE", "mysql", "--store (MERIDIAN_STORE) must be sqlite or postgres")]
    [InlineData("MERIDIAN_CLASSIFIER_URL_GUARD_SERVICE", "http://127.0.0.1:8000/classify", "MERIDIAN_CLASSIFIER_REGION_GUARD_SERVICE")]
    public async Task A_bad_variable_stops_the_start_naming_it_and_writes_nothing(string variable, string value, string message)
    {
        var data = Path.Combine(Path.GetTempPath(), "meridian-serve-tests", Guid.NewGuid().ToString("N"));

        var result = await _cli.With((variable, value)).RunAsync("serve", "--port", "0", "--data", data);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), $"{data} was created\n{result}");
    }

    [Fact]
    public async Task Every_bad_setting_is_named_in_one_start()
    {
        var result = await _cli.With(("MERIDIAN_DRAIN_SECONDS", "-5")).RunAsync("serve", "--port", "0", "--nodes", "0", "--max-in-flight", "0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--nodes (MERIDIAN_NODES)", result.Error, StringComparison.Ordinal);
        Assert.Contains("--max-in-flight (MERIDIAN_MAX_IN_FLIGHT)", result.Error, StringComparison.Ordinal);
        Assert.Contains("--drain-seconds (MERIDIAN_DRAIN_SECONDS)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flag_replaces_its_variable_and_the_rest_come_from_the_environment()
    {
        var environment = new Dictionary<string, string?>
        {
            ["MERIDIAN_NODES"] = "3",
            ["MERIDIAN_DRAIN_SECONDS"] = "7",
            ["MERIDIAN_REGION"] = "westeurope",
            ["MERIDIAN_LOG_LEVEL"] = "Information;Meridian.Gateway.Backends=Debug",
            ["MERIDIAN_TS_KEY_EU"] = Convert.ToBase64String(new byte[32]),
            ["MERIDIAN_RECEIPT_SIGNING_KEY"] = Convert.ToBase64String(new byte[32]),
            ["MERIDIAN_POSTGRES_GEO_EU_WEST"] = "Host=eu",
            ["MERIDIAN_CLASSIFIER_URL_GUARD_SERVICE"] = "http://127.0.0.1:8000/classify",
            ["MERIDIAN_CLASSIFIER_REGION_GUARD_SERVICE"] = "westeurope",
            ["MERIDIAN_CLASSIFIER_TOKEN_GUARD_SERVICE"] = "token",
            ["MERIDIAN_METRICS_PORT"] = "",
        };

        var options = ServeConfiguration.Load(ServeConfiguration.Build(environment, [new("NODES", "2")])).ToGatewayOptions();

        Assert.Equal(2, options.ExpectedNodes);
        Assert.Equal(TimeSpan.FromSeconds(7), options.DrainTimeout);
        Assert.Equal("westeurope", options.IngressRegion);
        Assert.Null(options.MetricsPort);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, options.LogLevel);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, options.LogLevels["Meridian.Gateway.Backends"]);
        Assert.Equal(environment["MERIDIAN_TS_KEY_EU"], options.Safeguards.CaseKeys["eu"]);
        Assert.Equal(environment["MERIDIAN_RECEIPT_SIGNING_KEY"], options.ReceiptSigningKey);
        Assert.Equal("Host=eu", options.PostgresGeographies["eu-west"]);
        var classifier = Assert.Single(options.Safeguards.HttpClassifiers);
        Assert.Equal(("guard_service", "westeurope", "token"), (classifier.Name, classifier.Region, classifier.BearerToken));
    }

    [Fact]
    public void Sign_in_settings_come_from_variables_with_the_people_flags_replacing_the_variables_list()
    {
        var environment = new Dictionary<string, string?>
        {
            ["MERIDIAN_OIDC_ISSUER"] = "https://login.example.com/",
            ["MERIDIAN_OIDC_CLIENT_ID"] = "meridian-portal",
            ["MERIDIAN_OIDC_CLIENT_SECRET"] = "client-secret",
            ["MERIDIAN_OIDC_PEOPLE"] = "former@example.com=operator-admin",
        };
        var flags = new KeyValuePair<string, string?>[]
        {
            new(ServeSettings.OpenIdPeopleKey, "ana@example.com=operator-admin;@acme.example=tenant-developer,tenant:ten_acme"),
            new("OIDC_SESSION_HOURS", "2"),
        };

        var sign = ServeConfiguration.Load(ServeConfiguration.Build(environment, flags)).ToGatewayOptions().OpenIdConnect;

        Assert.NotNull(sign);
        Assert.Equal(new Uri("https://login.example.com/"), sign.Issuer);
        Assert.Equal(("meridian-portal", "client-secret", "login.example.com"), (sign.ClientId, sign.ClientSecret, sign.DisplayName));
        Assert.Equal(TimeSpan.FromHours(2), sign.SessionLifetime);
        Assert.Equal(["ana@example.com", "@acme.example"], sign.People.Select(p => p.Value));
        Assert.Equal("ten_acme", sign.People[1].TenantId);
    }

    [Fact]
    public void Without_an_issuer_there_is_no_sign_in_and_with_a_bad_person_the_start_names_the_setting()
    {
        Assert.Null(ServeConfiguration.Load(ServeConfiguration.Build([], [])).ToGatewayOptions().OpenIdConnect);

        var refused = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => ServeConfiguration.Load(ServeConfiguration.Build(
            [new("MERIDIAN_OIDC_ISSUER", "https://login.example.com"), new("MERIDIAN_OIDC_CLIENT_ID", "portal"), new("MERIDIAN_OIDC_PEOPLE", "nobody=operator-admin")], [])));
        Assert.Contains(refused.Failures, f => f.Contains("MERIDIAN_OIDC_PEOPLE", StringComparison.Ordinal) && f.Contains("nobody", StringComparison.Ordinal));
    }
}
