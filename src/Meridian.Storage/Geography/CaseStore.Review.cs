using System.Text;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Geography;

/// <summary>
/// A decision as the review API accepted it: the decision and action, the reviewer's rationale, and how the reviewer saw
/// the content (<see cref="CaseStore.ContentOpened"/>, or <see cref="CaseStore.ContentNotOpened"/> with the recorded
/// reason, or <see cref="CaseStore.ContentUnavailable"/> when there was nothing to open).
/// </summary>
public sealed record CaseDecisionDraft(string Decision, string Action, string Rationale, string Content, string? NotOpenedReason)
{
    /// <summary>The decision's entry in the access log: its free-text reason, hashed into the chain.</summary>
    public string AccessReason => NotOpenedReason is null
        ? $"decision={Decision} action={Action} content={Content} rationale={Rationale}"
        : $"decision={Decision} action={Action} content={Content} not_opened_reason={NotOpenedReason} rationale={Rationale}";
}

public sealed partial class CaseStore
{
    /// <summary>The decider opened the content before deciding.</summary>
    public const string ContentOpened = "opened";

    /// <summary>The decider chose not to open the content and recorded why.</summary>
    public const string ContentNotOpened = "not_opened";

    /// <summary>There was no content to open: none was retained, or it was purged.</summary>
    public const string ContentUnavailable = "unavailable";

    /// <summary>The access log's event and reason code of an escalation.</summary>
    public const string EscalateEvent = "escalate";

    public const string Urgent = "urgent";

    /// <summary>
    /// Rationale, how the content was seen, and the decider's name on each decision; urgent escalations (issue 21 item 4).
    /// Appended to <see cref="ReceiptStore"/>'s list. Additive: decisions from before have none of them, and a binary from
    /// before neither reads nor writes these columns.
    /// </summary>
    internal const string DecisionRationaleSchema = """
        ALTER TABLE ts_cases ADD COLUMN decided_by_name TEXT;
        ALTER TABLE ts_cases ADD COLUMN decision_rationale TEXT;
        ALTER TABLE ts_cases ADD COLUMN decided_content TEXT;
        ALTER TABLE ts_cases ADD COLUMN not_opened_reason TEXT;
        ALTER TABLE ts_cases ADD COLUMN escalated_at TEXT;
        ALTER TABLE ts_cases ADD COLUMN escalated_by TEXT;
        ALTER TABLE ts_cases ADD COLUMN escalated_by_name TEXT;
        ALTER TABLE ts_cases ADD COLUMN escalation_reason TEXT;
        ALTER TABLE ts_cases ADD COLUMN escalation_notified TEXT;
        """;

    /// <summary>Whether this actor has an <c>open</c> entry in the case's access log: they have seen its content.</summary>
    public bool HasOpened(string caseId, string actor)
    {
        using var connection = _database.Open();
        return connection.Scalar(null, "SELECT COUNT(*) FROM ts_access_log WHERE case_id = @case AND actor = @actor AND event = 'open'",
            ("@case", caseId), ("@actor", actor)) > 0;
    }

    /// <summary>
    /// Marks an open case urgent, with who escalated it, why and who was told, and appends an <c>escalate</c> entry (reason
    /// code <c>urgent</c>) to the access log in the same transaction. Null when the case is missing, decided or escalated already.
    /// </summary>
    public CaseRecord? Escalate(string caseId, string reason, IReadOnlyList<CasePerson> notified, AccessActor who, string logId, DateTimeOffset at) =>
        TransientStoreFailures.Write(_database, (connection, transaction) =>
        {
            var changed = connection.Execute(transaction, """
                UPDATE ts_cases SET escalated_at = @at, escalated_by = @actor, escalated_by_name = @name, escalation_reason = @reason, escalation_notified = @notified
                WHERE id = @id AND status = @open AND escalated_at IS NULL
                """, ("@at", Time(at)), ("@actor", who.Id), ("@name", who.Name), ("@reason", reason), ("@notified", FormatPeople(notified)),
                ("@id", caseId), ("@open", Open));
            if (changed == 0)
            {
                return (default(CaseRecord), false);
            }

            var told = notified.Count == 0 ? "nobody else" : string.Join(", ", notified.Select(p => $"{p.Name} ({p.Id})"));
            Append(connection, transaction, caseId, who, logId, EscalateEvent, Urgent, $"{reason}; told: {told}", at);
            return (connection.QuerySingle(transaction, $"SELECT {Columns} FROM ts_cases WHERE id = @id", Read, ("@id", caseId)), true);
        });

    /// <summary>One person a line, id and name separated by a tab (neither holds one: control characters are cut from names).</summary>
    private static string FormatPeople(IReadOnlyList<CasePerson> people)
    {
        var text = new StringBuilder();
        foreach (var person in people)
        {
            text.Append(person.Id).Append('\t').Append(person.Name.ReplaceLineEndings(" ").Replace('\t', ' ')).Append('\n');
        }

        return text.ToString();
    }

    private static List<CasePerson> ParsePeople(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t', 2) is [var id, var name] ? new CasePerson(id, name) : new CasePerson(line, line))];
}
