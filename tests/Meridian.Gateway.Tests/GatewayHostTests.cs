using Meridian.Gateway.Hosting;
using Microsoft.Extensions.Configuration;

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
}
