using System.CommandLine;
using System.Text.Json;
using Meridian.Admin.Contract;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian cases list|open|decide</c>: Trust &amp; Safety review. Opening a case shows its decrypted content and is
/// recorded in the geography's access log with the reason given, so <c>--reason</c> is required.
/// </summary>
internal static class CasesCommand
{
    public static Command Create(CliContext context)
    {
        var status = new Option<string?>("--status") { Description = "open or decided (default: both)." };
        status.AcceptOnlyFromAmong("open", "decided");
        var geography = new Option<string?>("--geography") { Description = "Only cases of this geography (default: every geography you review)." };
        var list = new Command("list", "The case queue you may review, newest first (metadata only), every page.") { status, geography }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var filters = new List<string>();
                if (call.Value(status) is { Length: > 0 } s)
                {
                    filters.Add("status=" + Uri.EscapeDataString(s));
                }

                if (call.Value(geography) is { Length: > 0 } g)
                {
                    filters.Add("geography=" + Uri.EscapeDataString(g));
                }

                var path = AdminClient.Path("cases") + (filters.Count > 0 ? "?" + string.Join('&', filters) : string.Empty);
                var cases = await call.Api.ListAsync(path, AdminJsonContext.Default.ListResponseCaseView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(cases.Json);
                    return AdminCommand.Ok;
                }

                if (cases.Value.Count == 0)
                {
                    call.Out.MarkupLine("[grey]No cases.[/]");
                    return AdminCommand.Ok;
                }

                var table = CliOutput.Table(call.Out, "Id", "Created", "Geography", "Deployment", "Verdict", "Status");
                foreach (var c in cases.Value)
                {
                    table.AddRow(CliOutput.Escape(c.Id), CliOutput.Escape(CliOutput.Time(c.CreatedAt)), CliOutput.Escape(c.Geography),
                        CliOutput.Escape(c.DeploymentName), CliOutput.Escape(c.Verdict),
                        CliOutput.Escape(c.Status == "decided" ? $"decided: {c.Decision}, {c.DecisionAction}" : c.Urgent ? $"{c.Status}, urgent" : c.Status));
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });

        var openId = CaseIdArgument();
        var reason = new Option<string>("--reason") { Description = "Why you open it; recorded in the access log with your identity.", Required = true };
        var reasonCode = new Option<string>("--reason-code")
        {
            Description = "The reason the tenant is shown: triage (default), escalation, appeal, legal_request or quality_audit.",
            DefaultValueFactory = _ => "triage",
        };
        reasonCode.AcceptOnlyFromAmong("triage", "escalation", "appeal", "legal_request", "quality_audit");
        var open = new Command("open", "Decrypt and show a case's content; the access is recorded.") { openId, reason, reasonCode }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var id = call.Value(openId)!;
                var opened = await call.Api.PostAsync(AdminClient.Path("cases", id, "open"), new OpenCaseRequest(call.Value(reason)!, call.Value(reasonCode)!),
                    AdminJsonContext.Default.OpenCaseRequest, AdminJsonContext.Default.OpenCaseResponse, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(opened.Json);
                    return AdminCommand.Ok;
                }

                var c = opened.Value.Case;
                call.Out.MarkupLine($"Case [bold]{Markup.Escape(c.Id)}[/] ({Markup.Escape(c.Verdict ?? "")}) — deployment {Markup.Escape(c.DeploymentName ?? "")}, "
                    + $"tenant {Markup.Escape(c.TenantId ?? "")}, geography {Markup.Escape(c.Geography ?? "")}.");
                call.Out.MarkupLine($"[grey]Access recorded as entry {opened.Value.Access.Seq} of the {Markup.Escape(c.Geography ?? "")} access log.[/]");
                call.Out.WriteLine();
                var snapshot = opened.Value.Snapshot;
                call.Out.WriteLine("Request:");
                call.Out.WriteLine(snapshot.TryGetProperty("request", out var request) && request.ValueKind != JsonValueKind.Null
                    ? request.GetRawText()
                    : "(not kept whole: " + (snapshot.TryGetProperty("request_shape", out var shape) ? shape.GetRawText() : "{}") + ")");
                if (snapshot.TryGetProperty("excerpts", out var excerpts) && excerpts.ValueKind == JsonValueKind.Array)
                {
                    foreach (var excerpt in excerpts.EnumerateArray())
                    {
                        call.Out.WriteLine();
                        call.Out.WriteLine($"Excerpt at {excerpt.GetProperty("location").GetString()} [{excerpt.GetProperty("start").GetInt32()}..{excerpt.GetProperty("end").GetInt32()} "
                            + $"of {excerpt.GetProperty("field_chars").GetInt32()}] {string.Join(", ", excerpt.GetProperty("findings").EnumerateArray().Select(f => f.GetString()))}:");
                        call.Out.WriteLine(excerpt.GetProperty("text").GetString() ?? string.Empty);
                    }
                }

                call.Out.WriteLine();
                call.Out.WriteLine("Response:");
                call.Out.WriteLine(opened.Value.Snapshot.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.String
                    ? response.GetString()! : "(none)");
                return AdminCommand.Ok;
            });

        var decideId = CaseIdArgument();
        var decision = new Option<string>("--decision") { Description = "no_violation or violation.", Required = true };
        var action = new Option<string?>("--action") { Description = "none (default), warn_tenant, suspend_key, suspend_deployment, suspend_resource or suspend_tenant (the last two: the operator only)." };
        var rationale = new Option<string>("--rationale") { Description = "Why you decide so; stored with the decision and in the access log.", Required = true };
        var notOpened = new Option<string?>("--not-opened-reason")
        {
            Description = "Why you decide without opening the content; needed only when you have not opened it (meridian cases open).",
        };
        var decide = new Command(
            "decide",
            "Decide a case, with your rationale, after opening its content (or saying why not); a suspension takes effect on the data plane at once and stands until it is lifted (POST /admin/v1/suspensions/{id}/lift).")
        {
            decideId, decision, action, rationale, notOpened,
        }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var id = call.Value(decideId)!;
                var decided = await call.Api.PostAsync(AdminClient.Path("cases", id, "decision"),
                    new DecideCaseRequest(call.Value(decision)!, call.Value(action) ?? "none", call.Value(rationale)!, call.Value(notOpened)),
                    AdminJsonContext.Default.DecideCaseRequest, AdminJsonContext.Default.CaseView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(decided.Json);
                    return AdminCommand.Ok;
                }

                call.Out.MarkupLine($"Decided case [bold]{Markup.Escape(id)}[/]: {Markup.Escape(decided.Value.Decision ?? "")}, action {Markup.Escape(decided.Value.DecisionAction ?? "")}.");
                return AdminCommand.Ok;
            });

        var escalateId = CaseIdArgument();
        var escalateReason = new Option<string>("--reason") { Description = "Why the case is urgent; the reviewers and operators told read it.", Required = true };
        var escalate = new Command("escalate", "Mark an open case urgent: it sorts first in the queue, and the case records who was told.") { escalateId, escalateReason }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var id = call.Value(escalateId)!;
                var escalated = await call.Api.PostAsync(AdminClient.Path("cases", id, "escalate"), new EscalateCaseRequest(call.Value(escalateReason)!),
                    AdminJsonContext.Default.EscalateCaseRequest, AdminJsonContext.Default.JsonElement, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(escalated.Json);
                    return AdminCommand.Ok;
                }

                var told = escalated.Value.GetProperty("escalation").GetProperty("notified").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
                call.Out.MarkupLine($"Escalated case [bold]{Markup.Escape(id)}[/] as urgent; told: {Markup.Escape(told.Count == 0 ? "nobody else" : string.Join(", ", told))}.");
                return AdminCommand.Ok;
            });

        return new Command("cases", "Trust & Safety cases: the review queue, opening a case (audited), escalation, decisions.") { list, open, escalate, decide };
    }

    private static Argument<string> CaseIdArgument() => new("case-id") { Description = "The case's id (see meridian cases list)." };
}
