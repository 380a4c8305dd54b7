using System.Text;
using Meridian.Core.Marketplace;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Geography;

/// <summary>
/// Which cases to list. Null members do not filter. <see cref="Before"/> is the id of the last case of the previous page:
/// case ids sort by creation time (<c>case_</c> + milliseconds + random), so "newest first" is "id descending" and
/// a page boundary never skips or repeats a case.
/// </summary>
public sealed record CaseQuery(int Limit)
{
    public ReviewedBy? ReviewedBy { get; init; }

    public string? PublisherId { get; init; }

    public string? TenantId { get; init; }

    public string? Status { get; init; }

    public string? Before { get; init; }
}

public sealed partial class CaseStore
{
    /// <summary>
    /// The review settings recorded on each case and the access log's reason codes: appended to
    /// <see cref="ReceiptStore"/>'s list after <see cref="Schema"/>. Existing cases were all publisher-reviewed with content kept.
    /// </summary>
    internal const string ReviewSchema = """
        ALTER TABLE ts_cases ADD COLUMN reviewed_by TEXT NOT NULL DEFAULT 'publisher';
        ALTER TABLE ts_cases ADD COLUMN retention TEXT NOT NULL DEFAULT 'standard';
        ALTER TABLE ts_access_log ADD COLUMN reason_code TEXT;
        CREATE INDEX ts_cases_reviewer ON ts_cases (reviewed_by, publisher_id, id);
        CREATE INDEX ts_cases_tenant ON ts_cases (tenant_id, id);
        """;

    /// <summary>Cases matching <paramref name="query"/>, newest first, at most <see cref="CaseQuery.Limit"/>.</summary>
    public IReadOnlyList<CaseRecord> List(CaseQuery query)
    {
        // Conditions are added only for the filters given, so every parameter has a value and a type on any database.
        var sql = new StringBuilder($"SELECT {Columns} FROM ts_cases WHERE 1 = 1");
        var parameters = new List<(string, object?)> { ("@limit", query.Limit) };
        Filter(sql, parameters, "reviewed_by = @reviewed", "@reviewed", query.ReviewedBy is { } reviewedBy ? CaseReview.Of(reviewedBy) : null);
        Filter(sql, parameters, "publisher_id = @publisher", "@publisher", query.PublisherId);
        Filter(sql, parameters, "tenant_id = @tenant", "@tenant", query.TenantId);
        Filter(sql, parameters, "status = @status", "@status", query.Status);
        Filter(sql, parameters, "id < @before", "@before", query.Before);
        sql.Append(" ORDER BY id DESC LIMIT @limit");

        using var connection = _database.Open();
        return connection.Query(null, sql.ToString(), Read, [.. parameters]);
    }

    private static void Filter(StringBuilder sql, List<(string, object?)> parameters, string condition, string name, string? value)
    {
        if (value is not null)
        {
            sql.Append(" AND ").Append(condition);
            parameters.Add((name, value));
        }
    }
}
