namespace Meridian.Protocol;

/// <summary>
/// The work one request may make the gateway do before any backend sees it (counting its tokens, screening its text),
/// in <em>work units</em>: about one char read by one linear pass, with the tokenizer's pieces charged by a cost model
/// (<see cref="Messages.TokenCounter"/>). Counting and screening are linear in what they read by construction; the budget
/// is the backstop that turns a path that is not (a regression, a new classifier) into a refusal rather than a stalled
/// node. It also carries the request's cancellation, so the loops that charge it stop when the client goes away.
/// </summary>
/// <remarks>Thread-safe: external classifiers run concurrently and charge the same budget.</remarks>
public sealed class WorkBudget
{
    private readonly CancellationToken _cancellationToken;
    private long _spent;

    public WorkBudget(long limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        Limit = limit;
        _cancellationToken = cancellationToken;
    }

    /// <summary>A budget that never runs out: a meter (tests, benchmarks) or work the caller has already bounded.</summary>
    public static WorkBudget Unlimited(CancellationToken cancellationToken = default) => new(long.MaxValue, cancellationToken);

    public long Limit { get; }

    public long Spent => Volatile.Read(ref _spent);

    /// <summary>
    /// The failure of a request whose work was cut short by another backstop (a regex's match timeout): refused whole,
    /// as over its budget, never screened without the classifier that gave up.
    /// </summary>
    public WorkBudgetExceededException Exceeded(Exception cause) => new(Limit, cause);

    /// <summary>Records <paramref name="units"/> of work about to be done.</summary>
    /// <exception cref="OperationCanceledException">The request was cancelled (the client went away).</exception>
    /// <exception cref="WorkBudgetExceededException">The request has used up its budget.</exception>
    public void Charge(long units)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Add(ref _spent, units) > Limit)
        {
            throw new WorkBudgetExceededException(Limit);
        }
    }
}

/// <summary>A request needed more work than its <see cref="WorkBudget"/> allows; it is refused, never half-screened.</summary>
public sealed class WorkBudgetExceededException : Exception
{
    internal WorkBudgetExceededException(long limit)
        : base($"The request's work budget of {limit} units is used up.")
    {
    }

    internal WorkBudgetExceededException(long limit, Exception cause)
        : base($"The request's work was cut short before its budget of {limit} units was used up: {cause.Message}", cause)
    {
    }
}
