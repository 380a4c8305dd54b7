import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, type AccessEvent, type CaseAction, type CaseDecision, type CaseView, type OpenCaseResponse, type Page } from '../api';
import { Link, usePath } from '../router';
import { useSession } from '../session';
import { Empty, ErrorBox, Field, formatTime, Load, Notice, RadioChoice, Select, shortHash, useLoad, ViewTitle } from '../ui';

// Trust & Safety review (docs/safeguards.md, "Review API"). The queue and a case's page show metadata only: what was
// flagged, where, by which policy. Content is decrypted only when a reviewer explicitly opens it with a reason; the
// API writes the access record before it answers, and the portal keeps the content in memory until it is hidden or
// the page is left, never in storage.

const queueLimit = 200;

type StatusFilter = 'open' | 'decided' | 'all';

const statusFilters: { key: StatusFilter; label: string }[] = [
  { key: 'open', label: 'Open' },
  { key: 'decided', label: 'Decided' },
  { key: 'all', label: 'All' },
];

/** The queue at /reviewer/cases; a case at /reviewer/cases/{id}. */
export function ReviewerCases() {
  const path = usePath();
  const id = path.startsWith('/reviewer/cases/') ? decodeURIComponent(path.slice('/reviewer/cases/'.length)) : null;
  return id ? <CasePage id={id} /> : <CaseQueue />;
}

type QueueOrder = 'newest' | 'oldest' | 'severity';

const orders: { key: QueueOrder; label: string }[] = [
  { key: 'severity', label: 'Most severe first' },
  { key: 'oldest', label: 'Oldest first' },
  { key: 'newest', label: 'Newest first' },
];

const severityRank: Record<string, number> = { safe: 0, low: 1, medium: 2, high: 3 };

/** A case's weight in the queue: a block before a flag, then its most severe category. */
function urgency(c: CaseView): number {
  const worst = Math.max(0, ...c.categories.map((x) => severityRank[x.severity] ?? 0));
  return (c.action === 'block' ? 10 : 0) + worst;
}

function ordered(cases: CaseView[], order: QueueOrder): CaseView[] {
  const byAge = (a: CaseView, b: CaseView) => a.created_at.localeCompare(b.created_at);
  // Escalated cases come first in every order (the sort is stable, so the order within each group stays).
  const escalatedFirst = (list: CaseView[]) => list.sort((a, b) => Number(b.urgent ?? false) - Number(a.urgent ?? false));
  switch (order) {
    case 'oldest':
      return escalatedFirst([...cases].sort(byAge));
    case 'severity':
      // Most urgent first; among equals the one waiting longest.
      return escalatedFirst([...cases].sort((a, b) => urgency(b) - urgency(a) || byAge(a, b)));
    default:
      return escalatedFirst([...cases]);
  }
}

/** A person a record names: the display name, with the actor id on hover (as the audit view shows actors). */
export function Person({ id, name }: { id: string | null | undefined; name?: string | null }) {
  if (!id) {
    return <>—</>;
  }
  return name ? (
    <span class="actor" title={id} data-actor={id}>
      {name}
    </span>
  ) : (
    <code data-actor={id}>{id}</code>
  );
}

function CaseQueue() {
  const { me } = useSession();
  const [status, setStatus] = useState<StatusFilter>('open');
  const [order, setOrder] = useState<QueueOrder>('severity');
  const cases = useLoad(() => get<Page<CaseView>>(`/cases?limit=${queueLimit}${status === 'all' ? '' : `&status=${status}`}`), [status]);
  return (
    <>
      <ViewTitle
        subtitle={
          me.role === 'reviewer'
            ? `Flagged requests for publisher ${me.publisher_id ?? '—'} in geographies ${me.geographies?.join(', ') ?? '—'}. Content stays sealed until you open a case.`
            : 'Flagged requests of every publisher and geography. Content stays sealed until a case is opened.'
        }
      >
        Case queue
      </ViewTitle>
      <RadioChoice legend="Cases" name="status" class="inline-choice" options={statusFilters} value={status} onChange={setStatus} />
      <RadioChoice legend="Order" name="order" class="inline-choice" options={orders} value={order} onChange={setOrder} />
      <Load state={cases} label="Loading the case queue…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>{status === 'open' ? 'No cases are waiting for review.' : 'No cases.'}</Empty>
          ) : (
            <div class="table-wrap" tabIndex={0}>
              <table class="cases">
                <caption>
                  {orders.find((o) => o.key === order)?.label}
                  {order === 'severity' ? ' (a block before a flag, then the worst category; the longest waiting first among equals)' : ''}
                  {'; escalated (urgent) cases first'}
                  {page.data.length === queueLimit ? ` — of the newest ${queueLimit}` : ''}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Flagged</th>
                    <th scope="col">Case</th>
                    <th scope="col">Deployment · tenant</th>
                    <th scope="col">Geography</th>
                    <th scope="col">Verdict</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {ordered(page.data, order).map((c) => (
                    <tr key={c.id} data-case={c.id} data-request={c.request_id} data-status={c.status} data-urgent={c.urgent ? 'true' : undefined}>
                      <td>{formatTime(c.created_at)}</td>
                      <td>
                        <Link href={`/reviewer/cases/${encodeURIComponent(c.id)}`}>{c.id}</Link>
                      </td>
                      <td>
                        {c.deployment_name} ·{' '}
                        {c.tenant_name ? (
                          <span class="tenant-name" title={c.tenant_id} data-tenant={c.tenant_id}>
                            {c.tenant_name}
                            <span class="visually-hidden"> ({c.tenant_id})</span>
                          </span>
                        ) : (
                          <code data-tenant={c.tenant_id}>{c.tenant_id}</code>
                        )}
                      </td>
                      <td>{c.geography}</td>
                      <td>
                        <Verdict c={c} />
                      </td>
                      <td>
                        <StatusBadge c={c} />
                      </td>
                    </tr>
                  ))}
                  </tbody>
              </table>
            </div>
          )
        }
      </Load>
    </>
  );
}

function Verdict({ c }: { c: CaseView }) {
  return (
    <span class="verdict">
      <span class={`badge ${c.action === 'block' ? 'bad' : 'warn'}`}>{c.action}</span>{' '}
      {c.categories.map((x) => `${x.category.replace('_', ' ')} (${x.severity})`).join(', ')}
    </span>
  );
}

const decisionLabels: Record<CaseDecision, string> = { no_violation: 'No violation', violation: 'Violation' };
const actionLabels: Record<CaseAction, string> = {
  none: 'no action',
  warn_tenant: 'tenant warned',
  suspend_key: 'key suspended',
  suspend_deployment: 'deployment suspended',
};

function StatusBadge({ c }: { c: CaseView }) {
  if (c.status === 'open') {
    return c.urgent ? (
      <>
        <span class="badge bad" data-urgent="true">urgent</span> <span class="badge">open</span>
      </>
    ) : (
      <span class="badge">open</span>
    );
  }
  return (
    <span class={`badge ${c.decision === 'violation' ? 'bad' : 'ok'}`} data-decision={c.decision ?? ''}>
      {decisionLabels[c.decision ?? 'no_violation']} · {actionLabels[c.decision_action ?? 'none']}
    </span>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// One case: metadata, the audited open, the decision, the access log.
// ---------------------------------------------------------------------------------------------------------------

function CasePage({ id }: { id: string }) {
  const { me } = useSession();
  const path = `/cases/${encodeURIComponent(id)}`;
  const state = useLoad(() => Promise.all([get<CaseView>(path), get<Page<AccessEvent>>(`${path}/access`)]), [id]);
  const [opened, setOpened] = useState<OpenCaseResponse | null>(null);
  return (
    <>
      <ViewTitle subtitle="A flagged request's metadata. Its content is sealed; opening it is recorded in the access log with your reason.">Case {id}</ViewTitle>
      <p>
        <Link href="/reviewer/cases">Back to the case queue</Link>
      </p>
      <Load state={state} label="Loading the case…">
        {([c, access]) => (
          <div class="case" data-case={c.id} data-status={c.status}>
            <CaseFacts c={c} />
            {(c.urgent || c.status === 'open') && (
              <section class="card case-escalation" aria-labelledby="escalation-h">
                <h2 id="escalation-h">Escalation</h2>
                {c.escalation ? <EscalationFacts c={c} /> : <EscalateForm c={c} onEscalated={state.reload} />}
              </section>
            )}
            <section class="card case-content" aria-labelledby="content-h">
              <h2 id="content-h">Content</h2>
              {opened ? (
                <OpenedContent opened={opened} onHide={() => setOpened(null)} />
              ) : c.snapshot === 'purged' ? (
                <Notice>
                  The content was deleted at the end of its retention period ({formatTime(c.purged_at)}). The metadata and the decision remain.
                </Notice>
              ) : (
                <OpenForm
                  caseId={c.id}
                  onOpened={(response) => {
                    setOpened(response);
                    state.reload();
                  }}
                />
              )}
            </section>
            <section class="card case-decision" aria-labelledby="decision-h">
              <h2 id="decision-h">Decision</h2>
              {c.status === 'decided' ? (
                <DecidedFacts c={c} />
              ) : (
                <DecisionForm
                  c={c}
                  openedByMe={opened !== null || access.data.some((e) => e.event === 'open' && e.actor === `token:${me.token_id}`)}
                  onDecided={state.reload}
                />
              )}
            </section>
            <section class="card access-log" aria-labelledby="access-h">
              <h2 id="access-h">Access log</h2>
              <AccessLog events={access.data} />
            </section>
          </div>
        )}
      </Load>
    </>
  );
}

function CaseFacts({ c }: { c: CaseView }) {
  const rows: [string, string][] = [
    ['Flagged at', formatTime(c.created_at)],
    ['Request', c.request_id],
    ['Tenant', c.tenant_name ? `${c.tenant_name} (${c.tenant_id})` : c.tenant_id],
    ['Deployment', `${c.deployment_name} (${c.deployment_id})`],
    ['Resource', c.resource_id],
    ['API key', c.key_id],
    ['Publisher', c.publisher_id],
    ['Geography', `${c.geography} (the sealed content rests here)`],
    ['Policy', c.policy],
    ['Verdict', c.verdict],
    ['Categories', c.categories.map((x) => `${x.category} (${x.severity})`).join(', ') || '—'],
    ['Findings', c.kinds.join(', ') || '—'],
    ['Content', c.snapshot === 'held' ? 'sealed (encrypted), shown only when opened' : `purged ${formatTime(c.purged_at)}`],
  ];
  return (
    <section class="card" aria-labelledby="facts-h">
      <header class="card-head">
        <h2 id="facts-h">What was flagged</h2>
        <StatusBadge c={c} />
      </header>
      <dl class="facts">
        {rows.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd data-field={k}>{v}</dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}

/**
 * Why a reviewer opens content: the API's reason codes (the tenant is shown the code, never who opened), with the
 * note — or, without one, the label — as the internal reason in the access log.
 */
const reasonCodes: { code: string; label: string }[] = [
  { code: 'triage', label: 'Triage: judging the flagged request' },
  { code: 'appeal', label: 'Tenant appeal of a decision' },
  { code: 'escalation', label: 'Escalation from another reviewer' },
  { code: 'legal_request', label: 'Legal or law-enforcement request' },
  { code: 'quality_audit', label: 'Checking the classifier (quality review)' },
];

const maxNoteChars = 400;

/** An access event's reason as reviewers read it: the code the tenant sees, then the internal note. */
function reasonText(e: { reason_code?: string | null; reason: string | null }): string {
  return [e.reason_code, e.reason].filter((part) => part).join(': ');
}

function OpenForm({ caseId, onOpened }: { caseId: string; onOpened: (response: OpenCaseResponse) => void }) {
  const [code, setCode] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const missing = error instanceof ApiError ? (error.field('reason_code') ?? error.field('reason')) : undefined;
  return (
    <form
      aria-label="Open the case content"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          const reason = note.trim() ? note.trim().slice(0, maxNoteChars) : (reasonCodes.find((r) => r.code === code)?.label ?? code);
          onOpened(await post<OpenCaseResponse>(`/cases/${encodeURIComponent(caseId)}/open`, { reason_code: code, reason }));
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Notice tone="warning">
        The request and the answer are sealed. Opening them decrypts the snapshot and writes an access record — you, now, this case and your reason —
        to the geography's access log before anything is shown.
      </Notice>
      <div class="form-row">
        <Select label="Reason for opening" value={code} onChange={setCode} required error={missing}>
          <option value="">Choose a reason…</option>
          {reasonCodes.map((r) => (
            <option key={r.code} value={r.code}>
              {r.label}
            </option>
          ))}
        </Select>
        <Field label="Note (optional)" value={note} onInput={setNote} hint="Goes into the access log with the reason code; no content, please." />
      </div>
      {error !== undefined && !missing && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Opening…' : 'Open content (recorded)'}
        </button>
      </div>
    </form>
  );
}

interface Message {
  role: string;
  text: string;
}

/** The messages of an Anthropic Messages request body, as text; null when the body is not one. */
function messagesOf(request: unknown): Message[] | null {
  const body = request as { system?: unknown; messages?: unknown };
  if (!body || typeof body !== 'object' || !Array.isArray(body.messages)) {
    return null;
  }
  const list: Message[] = [];
  if (body.system !== undefined) {
    list.push({ role: 'system', text: contentText(body.system) });
  }
  for (const m of body.messages as { role?: unknown; content?: unknown }[]) {
    list.push({ role: typeof m?.role === 'string' ? m.role : '?', text: contentText(m?.content) });
  }
  return list;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') {
    return content;
  }
  if (!Array.isArray(content)) {
    return JSON.stringify(content, null, 2);
  }
  return content
    .map((block: { type?: string; text?: string; name?: string; input?: unknown; content?: unknown }) => {
      switch (block?.type) {
        case 'text':
          return block.text ?? '';
        case 'tool_use':
          return `[tool call ${block.name ?? ''}] ${JSON.stringify(block.input)}`;
        case 'tool_result':
          return `[tool result] ${contentText(block.content)}`;
        case 'image':
        case 'document':
          return `[${block.type}]`;
        default:
          return JSON.stringify(block);
      }
    })
    .join('\n');
}

function OpenedContent({ opened, onHide }: { opened: OpenCaseResponse; onHide: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const { access, snapshot } = opened;
  const messages = messagesOf(snapshot.request);
  return (
    <div class="opened" data-access-seq={access.seq}>
      <Notice tone="success">
        Access recorded: entry {access.seq} of the access log, {formatTime(access.at)}, by <Person id={access.actor} name={access.actor_name} />, reason “
        {reasonText(access)}”.
      </Notice>
      <h3 tabIndex={-1} ref={heading}>
        Request
      </h3>
      {messages ? (
        <ol class="messages">
          {messages.map((m, i) => (
            <li key={i} data-role={m.role}>
              <span class="role">{m.role}</span>
              <pre class="content-text">{m.text}</pre>
            </li>
          ))}
        </ol>
      ) : snapshot.request === null || snapshot.request === undefined ? (
        <p class="hint" data-field="not-kept-whole">
          The request was too large to keep whole; the case keeps its shape and the text around each finding.
          {snapshot.request_shape && <code class="request-shape">{JSON.stringify(snapshot.request_shape)}</code>}
        </p>
      ) : (
        <pre class="content-text">{JSON.stringify(snapshot.request, null, 2)}</pre>
      )}
      {(snapshot.excerpts?.length ?? 0) > 0 && (
        <>
          <h3>What was flagged, in context</h3>
          <ol class="excerpts">
            {snapshot.excerpts!.map((e, i) => (
              <li key={i} data-location={e.location}>
                <span class="hint">
                  <code>{e.location}</code>, characters {e.start}–{e.end} of {e.field_chars} · {e.findings.join(', ')}
                </span>
                <pre class="content-text">{e.text}</pre>
              </li>
            ))}
          </ol>
          {snapshot.excerpts_truncated && <p class="hint">More was flagged than a case keeps; these are the first excerpts.</p>}
        </>
      )}
      <h3>Answer</h3>
      <pre class="content-text answer">{snapshot.response || '(no text)'}</pre>
      {snapshot.response_truncated && <p class="hint">The answer was longer; the snapshot keeps its beginning only.</p>}
      <div class="actions">
        <button type="button" class="secondary" onClick={onHide}>
          Hide content
        </button>
      </div>
    </div>
  );
}

function DecidedFacts({ c }: { c: CaseView }) {
  return (
    <dl class="facts">
      <dt>Decision</dt>
      <dd data-field="Decision">{decisionLabels[c.decision ?? 'no_violation']}</dd>
      <dt>Action</dt>
      <dd data-field="Action">{actionLabels[c.decision_action ?? 'none']}</dd>
      <dt>Decided by</dt>
      <dd data-field="Decided by">
        <Person id={c.decided_by} name={c.decided_by_name} />
      </dd>
      <dt>Decided at</dt>
      <dd>{formatTime(c.decided_at)}</dd>
      <dt>Rationale</dt>
      <dd data-field="Rationale">{c.rationale ?? '— (decided before a rationale was required)'}</dd>
      <dt>Content</dt>
      <dd data-field="Content seen">
        {c.decided_content === 'opened'
          ? 'opened by the decider before deciding'
          : c.decided_content === 'not_opened'
            ? `decided without opening it: ${c.not_opened_reason ?? ''}`
            : c.decided_content === 'unavailable'
              ? 'none to open (not retained or purged)'
              : '—'}
      </dd>
    </dl>
  );
}

function EscalationFacts({ c }: { c: CaseView }) {
  const e = c.escalation!;
  return (
    <dl class="facts">
      <dt>Escalated by</dt>
      <dd data-field="Escalated by">
        <Person id={e.by} name={e.by_name} />
      </dd>
      <dt>Escalated at</dt>
      <dd>{formatTime(e.at)}</dd>
      <dt>Why urgent</dt>
      <dd data-field="Why urgent">{e.reason}</dd>
      <dt>Told</dt>
      <dd data-field="Told">
        {e.notified.length === 0
          ? 'nobody else reviews this case'
          : e.notified.map((p, i) => (
              <Fragment key={p.id}>
                {i > 0 && ', '}
                <Person id={p.id} name={p.name} />
              </Fragment>
            ))}
      </dd>
    </dl>
  );
}

function EscalateForm({ c, onEscalated }: { c: CaseView; onEscalated: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const missing = error instanceof ApiError ? error.field('reason') : undefined;
  return (
    <form
      aria-label="Escalate the case"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          await post(`/cases/${encodeURIComponent(c.id)}/escalate`, { reason: reason.trim() });
          onEscalated();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <p class="hint">
        For an imminent threat: the case goes to the top of every queue that shows it, and the operator's reviewers and the other reviewers of this case
        are recorded as told.
      </p>
      <Field label="Why it is urgent" value={reason} onInput={setReason} required error={missing} />
      {error !== undefined && !missing && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit" class="danger" disabled={busy}>
          {busy ? 'Escalating…' : 'Escalate as urgent'}
        </button>
      </div>
    </form>
  );
}

function DecisionForm({ c, openedByMe, onDecided }: { c: CaseView; openedByMe: boolean; onDecided: () => void }) {
  // Nothing is preselected: a decision is always an explicit choice (the browser asks for one before submitting).
  const [decision, setDecision] = useState<CaseDecision | null>(null);
  const [action, setAction] = useState<Exclude<CaseAction, 'none'> | null>(null);
  const [rationale, setRationale] = useState('');
  const [notOpened, setNotOpened] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  // The API accepts a decision only from a reviewer who opened the content, or with a recorded reason not to.
  const mustSayWhyNotOpened = c.snapshot === 'held' && !openedByMe;
  const fieldError = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);
  const [busy, setBusy] = useState(false);
  const actions: { key: Exclude<CaseAction, 'none'>; label: string; hint: string }[] = [
    { key: 'warn_tenant', label: 'Warn the tenant', hint: 'recorded on the case and shown on the tenant’s receipt' },
    { key: 'suspend_key', label: `Suspend API key ${c.key_id}`, hint: 'its next request is refused with 403' },
    { key: 'suspend_deployment', label: `Suspend deployment ${c.deployment_name}`, hint: 'every key’s next request to it is refused with 403' },
  ];
  const chosen = decision === 'violation' ? action : 'none';
  const suspends = chosen === 'suspend_key' || chosen === 'suspend_deployment';
  return (
    <form
      aria-label="Decide the case"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          await post(`/cases/${encodeURIComponent(c.id)}/decision`, {
            decision,
            action: chosen,
            rationale: rationale.trim(),
            ...(mustSayWhyNotOpened ? { not_opened_reason: notOpened.trim() } : {}),
          });
          onDecided();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <RadioChoice
        legend="Decision"
        name="decision"
        required
        options={(['no_violation', 'violation'] as CaseDecision[]).map((d) => ({ key: d, label: decisionLabels[d] }))}
        value={decision}
        onChange={setDecision}
      />
      {decision === 'violation' && <RadioChoice legend="Action" name="action" required options={actions} value={action} onChange={setAction} />}
      <Field
        label="Rationale"
        multiline
        value={rationale}
        onInput={setRationale}
        required
        error={fieldError('rationale')}
        hint="Why you decide so: stored with the decision and in the access log."
      />
      {mustSayWhyNotOpened && (
        <>
          <Notice tone="warning">
            You have not opened the content. Open it above before deciding, or decide without opening it and say why (recorded with the decision).
          </Notice>
          <Field
            label="Why decide without opening the content"
            value={notOpened}
            onInput={setNotOpened}
            required
            error={fieldError('not_opened_reason')}
          />
        </>
      )}
      {error !== undefined && !fieldError('rationale') && !fieldError('not_opened_reason') && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit" class={suspends ? 'danger' : undefined} disabled={busy}>
          {busy ? 'Recording…' : suspends ? `Record decision and ${chosen === 'suspend_key' ? 'suspend the key' : 'suspend the deployment'}` : 'Record decision'}
        </button>
      </div>
    </form>
  );
}

function AccessLog({ events }: { events: AccessEvent[] }) {
  if (events.length === 0) {
    return <Empty>Nobody has opened or decided this case yet.</Empty>;
  }
  return (
    <div class="table-wrap" tabIndex={0}>
      <table class="access">
        <caption>Every view, open, escalation, decision and purge, oldest first; each entry is chained to the one before it by its hash.</caption>
        <thead>
          <tr>
            <th scope="col">Entry</th>
            <th scope="col">At</th>
            <th scope="col">Who</th>
            <th scope="col">Event</th>
            <th scope="col">Reason</th>
            <th scope="col">Hash</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.seq} data-event={e.event}>
              <td>{e.seq}</td>
              <td>{formatTime(e.at)}</td>
              <td>
                <Person id={e.actor} name={e.actor_name} />
              </td>
              <td>{e.event}</td>
              <td>{reasonText(e) || '—'}</td>
              <td>
                <code title={e.hash}>{shortHash(e.hash)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
