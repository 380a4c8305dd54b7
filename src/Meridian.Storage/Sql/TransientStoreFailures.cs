using System.Data.Common;
using Npgsql;

namespace Meridian.Storage.Sql;

/// <summary>
/// The one policy for store failures that go away by themselves — a PostgreSQL server restarted or failed over, a
/// pooled connection it closed — used by the record writer (which retries until its batch is stored) and by the
/// readers and the admin API (which retry a few times, then answer with a problem). After a restart every idle pooled
/// connection is dead, and each used to fail its next caller once: issue 22 saw admin reads answer 500 for minutes.
/// The first failure seen now discards every idle connection of every PostgreSQL store, so the retry (and everyone
/// after it) opens fresh ones.
/// </summary>
public static class TransientStoreFailures
{
    /// <summary>How many times a reader tries before its failure is returned: about 0.75 s of back-off in all.</summary>
    public const int ReadAttempts = 5;

    /// <summary>A connection-level failure (network, server shutting down or not yet accepting) worth trying again.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException p => p.IsTransient || p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03",
        NpgsqlException n => n.IsTransient || n.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
        _ => false,
    };

    /// <summary>50 ms × attempt, at most 5 s: the back-off the record writer has always used.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5_000, 50 * attempt));

    /// <summary>Called on a transient failure: idle pooled connections are presumed dead and dropped.</summary>
    public static void Observed(Exception exception)
    {
        if (IsTransient(exception))
        {
            PostgresDatabase.DiscardIdleConnections();
        }
    }

    /// <summary>Runs an idempotent read, retrying transient failures <see cref="ReadAttempts"/> times.</summary>
    public static T Read<T>(Func<T> read)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return read();
            }
            catch (Exception ex) when (attempt < ReadAttempts && IsTransient(ex))
            {
                Observed(ex);
                Thread.Sleep(Backoff(attempt));
            }
        }
    }

    /// <summary>
    /// Runs a write transaction on <paramref name="database"/>, retrying it whole, <see cref="ReadAttempts"/> times, when a
    /// transient failure stops it before its commit was sent: such a transaction dies with its connection and the server
    /// never applied any of it, so running it again cannot apply it twice (issue 22: admin writes through a dead pooled
    /// connection answered 500 after a restart). A failure of the commit itself is returned as is: whether it applied is
    /// unknown. <paramref name="work"/> runs once per try and says whether to commit; it must leave nothing behind outside
    /// the transaction.
    /// </summary>
    public static T Write<T>(SqlDatabase database, Func<DbConnection, DbTransaction, (T Result, bool Commit)> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            DbConnection? connection = null;
            DbTransaction? transaction = null;
            try
            {
                (T Result, bool Commit) outcome;
                try
                {
                    connection = database.Open();
                    transaction = database.BeginWrite(connection);
                    outcome = work(connection, transaction);
                }
                catch (Exception ex) when (attempt < ReadAttempts && IsTransient(ex))
                {
                    Observed(ex);
                    Thread.Sleep(Backoff(attempt));
                    continue;
                }

                if (outcome.Commit)
                {
                    transaction.Commit();
                }

                return outcome.Result;
            }
            finally
            {
                transaction?.Dispose();
                connection?.Dispose();
            }
        }
    }

    /// <summary>
    /// <see cref="Write{T}"/> for a caller that must not block a thread (an HTTP handler): the same retries, the same
    /// transaction. <paramref name="cancellationToken"/> (the request's) stops the work and the back-off; once the work
    /// says commit, the commit is sent whatever the token says, so a client that goes away never leaves a write half
    /// known to the store and unknown to the gateway.
    /// </summary>
    public static async Task<T> WriteAsync<T>(
        SqlDatabase database, Func<DbConnection, DbTransaction, Task<(T Result, bool Commit)>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            DbConnection? connection = null;
            DbTransaction? transaction = null;
            try
            {
                (T Result, bool Commit) outcome;
                try
                {
                    connection = await database.OpenAsync(cancellationToken);
                    transaction = await database.BeginWriteAsync(connection, cancellationToken);
                    outcome = await work(connection, transaction);
                }
                catch (Exception ex) when (attempt < ReadAttempts && IsTransient(ex))
                {
                    Observed(ex);
                    await Task.Delay(Backoff(attempt), cancellationToken);
                    continue;
                }

                if (outcome.Commit)
                {
                    await transaction.CommitAsync(CancellationToken.None);
                }

                return outcome.Result;
            }
            finally
            {
                if (transaction is not null)
                {
                    await transaction.DisposeAsync();
                }

                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Runs an idempotent asynchronous read, retrying transient failures <see cref="ReadAttempts"/> times.</summary>
    public static ValueTask<T> ReadAsync<T>(Func<ValueTask<T>> read, CancellationToken cancellationToken) =>
        ReadAsync(read, static () => true, cancellationToken);

    /// <summary>
    /// Runs an idempotent asynchronous read, retrying transient failures <see cref="ReadAttempts"/> times while
    /// <paramref name="canRetry"/> says nothing was sent yet.
    /// </summary>
    public static async ValueTask<T> ReadAsync<T>(Func<ValueTask<T>> read, Func<bool> canRetry, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await read();
            }
            catch (Exception ex) when (attempt < ReadAttempts && IsTransient(ex) && canRetry())
            {
                Observed(ex);
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }
    }
}
