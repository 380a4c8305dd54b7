using System.Net;
using System.Net.Http.Headers;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>
/// Guessing keys or admin tokens cannot run at thousands per second: a source that fails authentication past its
/// allowance is answered 429 without its credential being checked — not even a valid one — and it is logged.
/// </summary>
public sealed class AuthFailureThrottleTests : IAsyncLifetime
{
    private const int Burst = 5;

    private readonly AdminServer _server = new()
    {
        // A tiny allowance that does not refill within the test: the sixth failure is over it.
        Configure = options =>
        {
            options.AuthFailureBurst = Burst;
            options.AuthFailuresPerSecond = 0.001;
        },
    };

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Past_the_allowance_a_source_gets_429_with_retry_after_unchecked_even_with_a_valid_key_and_it_is_logged()
    {
        for (var i = 0; i < Burst; i++)
        {
            using var wrong = await _server.MessagesAsync($"mk-00000000-GuessNumber{i:D4}xxxxxxxxxxxxxxxx", "claude-sonnet-5");
            await ApiAssert.ErrorAsync(wrong, HttpStatusCode.Unauthorized, "authentication_error");
        }

        using (var throttled = await _server.MessagesAsync(AdminServer.DemoKey, "claude-sonnet-5"))
        {
            await ApiAssert.ErrorAsync(throttled, HttpStatusCode.TooManyRequests, "rate_limit_error", "failed authentication");
            Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }

        using var admin = new HttpRequestMessage(HttpMethod.Get, "admin/v1/whoami");
        admin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminServer.OperatorToken);
        using var adminAnswer = await _server.Http.SendAsync(admin, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, adminAnswer.StatusCode);
        Assert.Contains("Authentication failures from", _server.LogText, StringComparison.Ordinal);
        Assert.DoesNotContain("GuessNumber", _server.LogText, StringComparison.Ordinal);
    }
}
