using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;

namespace Meridian.Storage.Sql;

/// <summary>
/// Inserts many rows with as few statement executions as the engine likes: PostgreSQL gets multi-row <c>VALUES</c>
/// statements of <see cref="SqlDatabase.RowsPerInsert"/> rows (a round trip per statement is what costs there); SQLite,
/// in process, gets one row per statement on one prepared command whose values are re-bound — measured cheaper than
/// re-preparing a statement with hundreds of parameters (bench/Meridian.Benchmarks, <c>ledger</c>). Both engines accept
/// the same text. The statement text for each row count is built once, and its command is kept by the caller's
/// <see cref="PreparedStatements"/>.
/// </summary>
internal static class MultiRowInsert
{
    private static readonly ConcurrentDictionary<(string Table, int Rows, string Suffix), string> Statements = new();

    /// <param name="suffix">What follows the values, e.g. <c>ON CONFLICT DO NOTHING RETURNING id</c>.</param>
    /// <param name="returned">Called for each row the statements return (with <c>RETURNING</c>); null to return nothing.</param>
    public static void Execute(
        SqlDatabase database, PreparedStatements statements, DbTransaction transaction, string table, IReadOnlyList<string> columns,
        IReadOnlyList<object?[]> rows, string suffix, Action<DbDataReader>? returned = null)
    {
        for (var start = 0; start < rows.Count; start += database.RowsPerInsert)
        {
            // One command per row count, prepared once: every full chunk reuses the same one, values re-bound.
            var count = Math.Min(database.RowsPerInsert, rows.Count - start);
            var sql = Statements.GetOrAdd((table, count, suffix), key => Build(key.Table, columns, key.Rows, key.Suffix));
            var command = statements.For(sql, transaction, c => AddParameters(c, columns.Count, count));
            for (var row = 0; row < count; row++)
            {
                var values = rows[start + row];
                for (var column = 0; column < values.Length; column++)
                {
                    command.Parameters[(row * columns.Count) + column].Value = values[column] ?? DBNull.Value;
                }
            }

            if (returned is null)
            {
                command.ExecuteNonQuery();
                continue;
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                returned(reader);
            }
        }
    }

    private static void AddParameters(DbCommand command, int columns, int rows)
    {
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                command.Bind(Name(row, column), null);
            }
        }
    }

    private static string Build(string table, IReadOnlyList<string> columns, int rows, string suffix)
    {
        var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
        for (var row = 0; row < rows; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < columns.Count; column++)
            {
                sql.Append(column == 0 ? string.Empty : ", ").Append(Name(row, column));
            }

            sql.Append(')');
        }

        return sql.Append(' ').Append(suffix).ToString();
    }

    private static string Name(int row, int column) => $"@r{row}c{column}";
}
