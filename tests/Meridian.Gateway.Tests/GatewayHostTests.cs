using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests;

public sealed class GatewayHostTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "meridian-host-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_data);

    /// <summary>
    /// Reloading configuration files on change watches the content root recursively (one inotify watch per folder:
    /// 10,908 when a node was started from /tmp). The gateway reads no configuration file, so it must watch none.
    /// </summary>
    [Fact]
    public async Task The_gateway_watches_no_configuration_file_and_roots_itself_in_its_own_folder()
    {
        var (app, _) = GatewayHost.Build(new GatewayOptions { Port = 0, DataDirectory = _data }.OnTestStore());
        await using (app)
        {
            var files = ((IConfigurationRoot)app.Configuration).Providers.OfType<FileConfigurationProvider>().ToList();
            Assert.NotEmpty(files); // appsettings.json and its environment variant, optional and absent
            Assert.All(files, f => Assert.False(f.Source.ReloadOnChange, $"{f.Source.Path} reloads on change"));
            Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), Path.TrimEndingDirectorySeparator(app.Environment.ContentRootPath));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Every_file_and_folder_of_the_data_folder_is_readable_by_its_owner_only()
    {
        var nested = Path.Combine(_data, "nested", "data");
        var (app, _) = GatewayHost.Build(new GatewayOptions { Port = 0, DataDirectory = nested, DemoKey = GatewayFixture.DemoKey }.OnTestStore());
        await using (app)
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/") };
            // A request writes its receipt and usage in the geography's database (and its WAL).
            using (var answer = await http.SendAsync(GatewayFixture.JsonPost("/v1/messages",
                """{"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}"""), TestContext.Current.CancellationToken))
            {
                Assert.True(answer.IsSuccessStatusCode);
            }

            await app.StopAsync(TestContext.Current.CancellationToken);
        }

        var files = Directory.GetFiles(nested, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.True((File.GetUnixFileMode(f) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) == 0,
            $"{Path.GetFileName(f)} is {File.GetUnixFileMode(f)}"));
        Assert.All(Directory.GetDirectories(nested, "*", SearchOption.AllDirectories).Append(nested),
            d => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(d)));
    }
}
