using System.Data.Common;

namespace Meridian.Storage.Sql;

/// <summary>
/// One open connection and the commands run on it, each created (on SQLite: parsed and prepared) once and run again
/// with new values. For a writer that commits many small batches, taking a connection from the pool and preparing the
/// same statements again was a large part of a small commit. Not thread-safe. Dispose it after a failure, so a broken
/// connection is not used again.
/// </summary>
internal sealed class PreparedStatements(DbConnection connection) : IDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    public DbConnection Connection { get; } = connection;

    /// <summary>The command for <paramref name="sql"/> in <paramref name="transaction"/>; <paramref name="addParameters"/>
    /// gives it its parameters the first time. Set every parameter's value before running it.</summary>
    public DbCommand For(string sql, DbTransaction transaction, Action<DbCommand> addParameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            addParameters(command);
            _commands.Add(sql, command);
        }

        command.Transaction = transaction;
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        Connection.Dispose();
    }
}
