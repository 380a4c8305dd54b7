using System.Text;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.DataPlane;
using Microsoft.AspNetCore.Http;

namespace Meridian.Gateway.Tests.DataPlane;

/// <summary>
/// Bodies in flight hold at most the node's memory budget: a body that would go past it is refused with 529 at once,
/// and the memory comes back when a request ends, so the next one is served.
/// </summary>
public sealed class BodyMemoryBudgetTests
{
    private const int BodySize = 80 * 1024;

    [Fact]
    public async Task A_body_past_the_budget_is_refused_529_and_the_budget_comes_back_when_a_request_ends()
    {
        // Room for one request's heap and a second body's buffer, not for a second request's heap.
        var budget = new BodyMemoryBudget(new GatewayOptions { BodyBytesInFlight = BodyMemoryBudget.Charge(BodySize) + BodySize });

        var (first, firstError) = await RequestBody.ReadAsync(Post(BodySize), budget, TestContext.Current.CancellationToken);
        Assert.Null(firstError);
        Assert.Equal(BodySize, first!.Length);
        Assert.Equal(BodyMemoryBudget.Charge(BodySize), budget.InFlight);

        var overloaded = Post(BodySize);
        var (second, secondError) = await RequestBody.ReadAsync(overloaded, budget, TestContext.Current.CancellationToken);
        Assert.Null(second);
        Assert.Equal((529, "overloaded_error"), (secondError!.Status, secondError.Type));
        Assert.Equal("1", overloaded.Response.Headers.RetryAfter.ToString());
        Assert.Equal(BodyMemoryBudget.Charge(BodySize), budget.InFlight);

        first.Dispose();
        Assert.Equal(0, budget.InFlight);
        var (third, thirdError) = await RequestBody.ReadAsync(Post(BodySize), budget, TestContext.Current.CancellationToken);
        Assert.Null(thirdError);
        third!.Dispose();
        Assert.Equal(0, budget.InFlight);
    }

    /// <summary>A request costs several times its body on the heap (its text as UTF-16, parsing, counting, screening).</summary>
    [Fact]
    public async Task A_body_is_charged_what_its_request_costs_on_the_heap_not_only_its_bytes()
    {
        var budget = new BodyMemoryBudget(new GatewayOptions { BodyBytesInFlight = 4 * BodySize });

        var (body, error) = await RequestBody.ReadAsync(Post(BodySize), budget, TestContext.Current.CancellationToken);

        Assert.Null(body);
        Assert.Equal((529, "overloaded_error"), (error!.Status, error.Type));
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public async Task A_chunked_body_reserves_as_it_grows_and_gives_everything_back_when_refused_as_too_large()
    {
        var budget = new BodyMemoryBudget(new GatewayOptions());
        var context = Post(33 * 1024 * 1024, declareLength: false);

        var (body, error) = await RequestBody.ReadAsync(context, budget, TestContext.Current.CancellationToken);

        Assert.Null(body);
        Assert.Equal(413, error!.Status);
        Assert.Equal(0, budget.InFlight);
    }

    private static DefaultHttpContext Post(int size, bool declareLength = true)
    {
        var json = Encoding.UTF8.GetBytes("{\"model\":\"m\",\"pad\":\"" + new string('x', size - 22) + "\"}");
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(json);
        context.Request.ContentLength = declareLength ? json.Length : null;
        return context;
    }
}
