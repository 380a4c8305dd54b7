import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import {
  ApiError,
  admin,
  get,
  listAll,
  post,
  type Deployment,
  type DeploymentSafeguards,
  type Page,
  type Suspension,
  type TenantAccessEvent,
  type TenantCase,
} from '../api';
import { TenantGate } from '../scope';
import { roleCan, useSession } from '../session';
import { Actor, Empty, ErrorBox, Field, formatTime, Load, Notice, RadioChoice, Select, useId, useLoad, ViewTitle } from '../ui';
import { loadEstate } from './tenant';

// Trust & Safety as the tenant sees it (docs/safeguards.md, "What tenants see"): the cases on its own requests with
// every access to them (what, when and why, never who), the suspensions covering its keys and deployments, and each
// deployment's safeguard settings, which a tenant admin may tighten. And, for the operator and reviewers, the
// suspensions with the recorded decision that lifts one.

const caseActionLabels: Record<string, string> = {
  none: 'no action',
  warn_tenant: 'tenant warned',
  suspend_key: 'key suspended',
  suspend_deployment: 'deployment suspended',
  suspend_resource: 'resource suspended',
  suspend_tenant: 'tenant suspended',
};

const accessReasonLabels: Record<string, string> = {
  triage: 'triage of the flagged request',
  appeal: 'an appeal',
  escalation: 'an escalation',
  legal_request: 'a legal request',
  quality_audit: 'a quality review of the classifiers',
  retention_elapsed: 'its retention period ended',
  remediated: 'remediated',
  decided_in_error: 'decided in error',
};

/** Where a reviewer or the operator saw a case without opening its content. */
const viewLabels: Record<string, string> = {
  list: 'in a list of cases',
  metadata: 'with its details',
  access_log: 'with its access log',
};

const snapshotLabels: Record<TenantCase['snapshot'], string> = {
  held: 'sealed (encrypted) until its retention period ends',
  purged: 'deleted',
  not_retained: 'not kept (retention mode none)',
};

export function TenantSafety() {
  return (
    <>
      <ViewTitle subtitle="Requests the safeguards flagged become cases that a Trust & Safety reviewer may open. You see each case, every access to it and why, and the settings your deployments screen with — never who reviewed.">
        Trust & Safety
      </ViewTitle>
      <TenantGate>{(tenantId) => <Safety tenantId={tenantId} />}</TenantGate>
    </>
  );
}

function Safety({ tenantId }: { tenantId: string }) {
  return (
    <>
      <TenantCases tenantId={tenantId} />
      <SafeguardSettings tenantId={tenantId} />
    </>
  );
}

function TenantCases({ tenantId }: { tenantId: string }) {
  const cases = useLoad(() => get<Page<TenantCase>>(`/tenants/${tenantId}/cases?limit=200`), [tenantId]);
  const [shown, setShown] = useState<string | null>(null);
  return (
    <section class="card tenant-cases" aria-labelledby="tenant-cases-h">
      <h2 id="tenant-cases-h">Cases on your requests</h2>
      <Load state={cases} label="Loading cases…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No request of yours has been flagged.</Empty>
          ) : (
            <div class="table-wrap" tabIndex={0}>
              <table class="tenant-cases">
                <caption>Newest first; the content of a case is never shown here.</caption>
                <thead>
                  <tr>
                    <th scope="col">Flagged</th>
                    <th scope="col">Request</th>
                    <th scope="col">Deployment · key</th>
                    <th scope="col">Verdict</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Content</th>
                    <th scope="col">Access log</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((c) => (
                    <Fragment key={c.id}>
                      <tr data-case={c.id} data-request={c.request_id} data-status={c.status}>
                        <td>{formatTime(c.created_at)}</td>
                        <td>
                          <code>{c.request_id}</code>
                        </td>
                        <td>
                          {c.deployment_name} · <code>{c.key_id}</code>
                        </td>
                        <td>
                          <span class={`badge ${c.action === 'block' ? 'bad' : 'warn'}`}>{c.action}</span>{' '}
                          {c.categories.map((x) => `${x.category.replace('_', ' ')} (${x.severity})`).join(', ')}
                        </td>
                        <td data-field="outcome">
                          {c.status === 'open'
                            ? `open, reviewed by the ${c.reviewed_by}`
                            : `${c.decision === 'violation' ? 'violation' : 'no violation'} · ${caseActionLabels[c.decision_action ?? 'none'] ?? c.decision_action}`}
                        </td>
                        <td>{snapshotLabels[c.snapshot] ?? c.snapshot}</td>
                        <td>
                          <button
                            type="button"
                            class="secondary"
                            aria-expanded={shown === c.id}
                            aria-controls={`access-${c.id}`}
                            onClick={() => setShown(shown === c.id ? null : c.id)}
                          >
                            {shown === c.id ? 'Hide' : 'Show'} access log
                          </button>
                        </td>
                      </tr>
                      {shown === c.id && (
                        <tr class="case-access" id={`access-${c.id}`}>
                          <td colSpan={7}>
                            <CaseAccess tenantId={tenantId} caseId={c.id} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Load>
    </section>
  );
}

function describeAccess(e: TenantAccessEvent): string {
  const why = e.reason_code ? ` for ${accessReasonLabels[e.reason_code] ?? e.reason_code}` : '';
  switch (e.event) {
    case 'open':
      return `The content was opened${why}.`;
    case 'view':
      return e.reason_code && viewLabels[e.reason_code] ? `The case was seen ${viewLabels[e.reason_code]} (no content).` : `The case was viewed${why} (no content).`;
    case 'decision':
      return `Decided: ${e.decision === 'violation' ? 'violation' : 'no violation'}, ${caseActionLabels[e.action ?? 'none'] ?? e.action}.`;
    case 'purge':
      return `The content was deleted${why}.`;
    case 'lift':
      return `A suspension was lifted${why}.`;
    case 'escalate':
      return 'The case was escalated as urgent (no content).';
    default:
      return `${e.event}${why}.`;
  }
}

function CaseAccess({ tenantId, caseId }: { tenantId: string; caseId: string }) {
  const events = useLoad(() => get<Page<TenantAccessEvent>>(`/tenants/${tenantId}/cases/${encodeURIComponent(caseId)}/access`), [tenantId, caseId]);
  return (
    <Load state={events} label="Loading the access log…">
      {(page) =>
        page.data.length === 0 ? (
          <Empty>Nobody has viewed, opened or decided this case yet.</Empty>
        ) : (
          <ol class="access-events" aria-label={`Access log of case ${caseId}`}>
            {page.data.map((e, i) => (
              <li key={i} data-event={e.event} data-reason={e.reason_code ?? ''}>
                <time dateTime={e.at}>{formatTime(e.at)}</time> {describeAccess(e)}
              </li>
            ))}
          </ol>
        )
      }
    </Load>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Safeguard settings per deployment.
// ---------------------------------------------------------------------------------------------------------------

function SafeguardSettings({ tenantId }: { tenantId: string }) {
  const { me } = useSession();
  const manage = roleCan.manageTenant(me.role);
  const estate = useLoad(() => loadEstate(tenantId), [tenantId]);
  return (
    <section class="card safeguard-settings" aria-labelledby="settings-h">
      <h2 id="settings-h">Safeguard settings</h2>
      <p class="hint">
        Each deployment screens with its named policy plus settings of its own. A tenant admin may tighten them — stricter thresholds, a blocklist —
        never loosen the policy; each change is audited and in force from the next request.
      </p>
      <Load state={estate} label="Loading deployments…">
        {({ deployments }) => {
          const all = [...deployments.values()].flat();
          return all.length === 0 ? (
            <Empty>No deployments yet.</Empty>
          ) : (
            <>
              {all.map((d) => (
                <DeploymentSettings key={d.id} deployment={d} manage={manage} onSaved={estate.reload} />
              ))}
            </>
          );
        }}
      </Load>
    </section>
  );
}

function cellsText(cells: DeploymentSafeguards['input']): string {
  const parts = Object.entries(cells ?? {}).flatMap(([category, bySeverity]) =>
    Object.entries(bySeverity).map(([severity, action]) => `${category.replace('_', ' ')} from ${severity}: ${action}`),
  );
  return parts.length === 0 ? 'as the policy says' : parts.join('; ');
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

const blocklistCategories = ['violence', 'self_harm', 'sexual', 'hate', 'cbrn', 'pii', 'prompt_injection'];

function DeploymentSettings({ deployment: d, manage, onSaved }: { deployment: Deployment; manage: boolean; onSaved: () => void }) {
  const headingId = useId('settings');
  const own = d.safeguards ?? null;
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const suspended = (d.suspensions?.length ?? 0) > 0;
  return (
    <article class="deployment-settings" aria-labelledby={headingId} data-deployment={d.name}>
      <h3 id={headingId}>
        {d.name}{' '}
        <span class={`badge ${suspended ? 'bad' : 'ok'}`} data-field="status">
          {suspended ? 'suspended' : 'active'}
        </span>
      </h3>
      {suspended && (
        <Notice tone="warning">
          Suspended by Trust & Safety since {formatTime(d.suspensions![0].suspended_at)} (case <code>{d.suspensions![0].case_id}</code>): every request
          to it is refused until a reviewer or the operator lifts the suspension.
        </Notice>
      )}
      <dl class="facts">
        <dt>Policy</dt>
        <dd data-field="policy">{d.safeguard_policy}</dd>
        <dt>Input</dt>
        <dd data-field="input">{cellsText(own?.input)}</dd>
        <dt>Output</dt>
        <dd data-field="output">{cellsText(own?.output)}</dd>
        <dt>Blocklist</dt>
        <dd data-field="blocklist">
          {own?.blocklist
            ? `${own.blocklist.terms?.length ?? 0} terms, ${own.blocklist.patterns?.length ?? 0} patterns → ${own.blocklist.category} (${own.blocklist.severity ?? 'high'})`
            : 'none'}
        </dd>
        <dt>Flagged requests reviewed by</dt>
        <dd data-field="reviewed_by">the {d.reviewed_by}</dd>
        <dt>Case content kept</dt>
        <dd data-field="retention">{d.retention_mode === 'none'
            ? 'never (retention mode none)'
            : own?.retention_days
              ? `sealed, for ${own.retention_days} days`
              : "sealed, for the gateway's retention period"}</dd>
      </dl>
      {saved && <Notice tone="success">{saved}</Notice>}
      {manage &&
        (editing ? (
          <SettingsForm
            deployment={d}
            onCancel={() => setEditing(false)}
            onSaved={(text) => {
              setEditing(false);
              setSaved(text);
              onSaved();
            }}
          />
        ) : (
          <div class="actions">
            <button type="button" class="secondary" onClick={() => setEditing(true)}>
              Edit settings
            </button>
          </div>
        ))}
    </article>
  );
}

type Stage = 'input' | 'output';

interface Rule {
  stage: Stage;
  category: string;
  severity: string;
  action: string;
}

const severities = ['low', 'medium', 'high'];
const actions = ['allow', 'annotate', 'flag', 'block', 'redact'];

function rulesOf(settings: DeploymentSafeguards | null | undefined): Rule[] {
  return (['input', 'output'] as Stage[]).flatMap((stage) =>
    Object.entries(settings?.[stage] ?? {}).flatMap(([category, cells]) => Object.entries(cells).map(([severity, action]) => ({ stage, category, severity, action }))),
  );
}

function tablesOf(rules: Rule[]): Pick<DeploymentSafeguards, 'input' | 'output'> {
  const tables: Pick<DeploymentSafeguards, 'input' | 'output'> = {};
  for (const r of rules) {
    const table = (tables[r.stage] ??= {});
    (table[r.category] ??= {})[r.severity] = r.action;
  }
  return tables;
}

function CategorySelect(props: { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <Select {...props}>
      {blocklistCategories.map((c) => (
        <option key={c} value={c}>
          {c.replace('_', ' ')}
        </option>
      ))}
    </Select>
  );
}

function SeveritySelect(props: { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <Select {...props}>
      {severities.map((x) => (
        <option key={x} value={x}>
          {x}
        </option>
      ))}
    </Select>
  );
}

/**
 * The deployment's own settings, edited whole and sent as one `PATCH /deployments/{id}` `safeguards` (the API replaces
 * them whole, validates every part and refuses a tenant's loosening with 403 naming the cells).
 */
function SettingsForm({ deployment: d, onCancel, onSaved }: { deployment: Deployment; onCancel: () => void; onSaved: (message: string) => void }) {
  const current = d.safeguards ?? null;
  const [rules, setRules] = useState<Rule[]>(rulesOf(current));
  const [draft, setDraft] = useState<Rule>({ stage: 'input', category: 'violence', severity: 'medium', action: 'block' });
  const [terms, setTerms] = useState((current?.blocklist?.terms ?? []).join('\n'));
  const [patterns, setPatterns] = useState((current?.blocklist?.patterns ?? []).join('\n'));
  const [category, setCategory] = useState(current?.blocklist?.category ?? 'violence');
  const [severity, setSeverity] = useState(current?.blocklist?.severity ?? 'high');
  const [retention, setRetention] = useState(current?.retention_days ? String(current.retention_days) : '');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <form
      aria-label={`Safeguard settings of ${d.name}`}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        const termList = lines(terms);
        const patternList = lines(patterns);
        const days = retention.trim();
        const next: DeploymentSafeguards = {
          ...tablesOf(rules),
          ...(termList.length + patternList.length > 0 ? { blocklist: { terms: termList, patterns: patternList, category, severity } } : {}),
          ...(days ? { retention_days: /^\d+$/.test(days) ? Number(days) : (days as unknown as number) } : {}),
        };
        try {
          await admin('PATCH', `/deployments/${d.id}`, { body: { safeguards: Object.keys(next).length === 0 ? null : next } });
          onSaved(
            `${d.name}'s settings are saved: ${rules.length} rules, a blocklist of ${termList.length} terms and ${patternList.length} patterns, ` +
              `${days ? `content kept ${days} days` : "the gateway's retention period"}; in force from its next request.`,
          );
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <fieldset>
        <legend>Rules on top of the policy</legend>
        {rules.length === 0 ? (
          <p class="hint">None: the policy's tables apply as they are.</p>
        ) : (
          <ul class="rules" aria-label={`Rules of ${d.name}`}>
            {rules.map((r, i) => (
              <li key={`${r.stage}.${r.category}.${r.severity}`} data-rule={`${r.stage}.${r.category}.${r.severity}`}>
                {r.stage}: {r.category.replace('_', ' ')} from {r.severity} → {r.action}{' '}
                <button type="button" class="secondary" onClick={() => setRules(rules.filter((_, j) => j !== i))}>
                  Remove rule {r.stage} {r.category} {r.severity}
                </button>
              </li>
            ))}
          </ul>
        )}
        <div class="form-row">
          <Select label="Screening" value={draft.stage} onChange={(v) => setDraft({ ...draft, stage: v as Stage })}>
            <option value="input">input (the request)</option>
            <option value="output">output (the answer)</option>
          </Select>
          <CategorySelect label="Category" value={draft.category} onChange={(v) => setDraft({ ...draft, category: v })} />
          <SeveritySelect label="From severity" value={draft.severity} onChange={(v) => setDraft({ ...draft, severity: v })} />
          <Select label="Action" value={draft.action} onChange={(v) => setDraft({ ...draft, action: v })}>
            {actions.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </Select>
        </div>
        <div class="actions">
          <button
            type="button"
            class="secondary"
            onClick={() =>
              setRules([...rules.filter((r) => !(r.stage === draft.stage && r.category === draft.category && r.severity === draft.severity)), draft])
            }
          >
            Add rule
          </button>
        </div>
      </fieldset>
      <fieldset>
        <legend>Blocklist</legend>
        <div class="form-row">
          <Field
            label="Terms, one a line"
            multiline
            value={terms}
            onInput={setTerms}
            hint="Matched as whole words, ignoring case, in every place a request or an answer carries text."
          />
          <Field label="Patterns, one a line" multiline value={patterns} onInput={setPatterns} hint="Regular expressions run in linear time (no backreferences or lookarounds)." />
        </div>
        <div class="form-row">
          <CategorySelect label="A match is a finding of" value={category} onChange={setCategory} />
          <SeveritySelect label="At severity" value={severity} onChange={setSeverity} />
        </div>
      </fieldset>
      <Field
        label="Keep flagged content for (days; blank: the gateway's period)"
        value={retention}
        inputMode="numeric"
        onInput={setRetention}
        hint="A tenant admin may keep it for a shorter time than the gateway's period, never longer."
      />
      {error !== undefined && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Suspensions, for the operator and reviewers: lifting is its own recorded decision.
// ---------------------------------------------------------------------------------------------------------------

type SuspensionFilter = 'standing' | 'lifted' | 'all';

const liftReasons: { code: string; label: string }[] = [
  { code: 'appeal', label: 'Appeal upheld' },
  { code: 'remediated', label: 'The tenant remediated the cause' },
  { code: 'decided_in_error', label: 'The decision was made in error' },
];

const scopeLabels: Record<Suspension['scope'], string> = { key: 'API key', deployment: 'Deployment', resource: 'Resource', tenant: 'Tenant' };

export function ReviewerSuspensions() {
  const [filter, setFilter] = useState<SuspensionFilter>('standing');
  const list = useLoad(() => listAll<Suspension>(`/suspensions${filter === 'all' ? '' : `?status=${filter}`}`), [filter]);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <>
      <ViewTitle subtitle="Keys, deployments, resources and tenants that Trust & Safety suspended. A suspension holds until it is lifted here, with a reason that goes into the case's access log and the audit log.">
        Suspensions
      </ViewTitle>
      <RadioChoice
        legend="Suspensions"
        name="suspension-status"
        class="inline-choice"
        options={[
          { key: 'standing', label: 'Standing' },
          { key: 'lifted', label: 'Lifted' },
          { key: 'all', label: 'All' },
        ]}
        value={filter}
        onChange={setFilter}
      />
      {message && <Notice tone="success">{message}</Notice>}
      <Load state={list} label="Loading suspensions…">
        {(items) =>
          items.length === 0 ? (
            <Empty>{filter === 'standing' ? 'Nothing is suspended.' : 'No suspensions.'}</Empty>
          ) : (
            <div class="suspensions">
              {items.map((s) => (
                <SuspensionCard
                  key={s.id}
                  suspension={s}
                  onLifted={(text) => {
                    setMessage(text);
                    list.reload();
                  }}
                />
              ))}
            </div>
          )
        }
      </Load>
    </>
  );
}

function SuspensionCard({ suspension: s, onLifted }: { suspension: Suspension; onLifted: (message: string) => void }) {
  const headingId = useId('suspension');
  const [lifting, setLifting] = useState(false);
  const subject = `${scopeLabels[s.scope]} ${s.scope === 'deployment' && s.deployment_name ? s.deployment_name : s.subject_id}`;
  return (
    <article class="card suspension" aria-labelledby={headingId} data-suspension={s.id} data-status={s.status}>
      <header class="card-head">
        <h2 id={headingId}>{subject}</h2>
        <span class={`badge ${s.status === 'standing' ? 'bad' : 'ok'}`}>{s.status}</span>
      </header>
      <dl class="facts">
        <dt>Tenant</dt>
        <dd>
          <code>{s.tenant_id}</code>
          {s.resource_id && (
            <>
              {' '}
              · resource <code>{s.resource_id}</code>
            </>
          )}
        </dd>
        <dt>Decided on case</dt>
        <dd>
          <code>{s.case_id}</code> by the {s.party}'s Trust & Safety
        </dd>
        <dt>Suspended</dt>
        <dd>
          {formatTime(s.suspended_at)}
          {s.suspended_by && (
            <>
              {' '}
              by <Actor id={s.suspended_by} name={s.suspended_by_name} />
            </>
          )}
        </dd>
        {s.lift && (
          <>
            <dt>Lifted</dt>
            <dd data-field="lift">
              {formatTime(s.lift.lifted_at)} by <Actor id={s.lift.lifted_by} name={s.lift.lifted_by_name} />: {s.lift.reason_code} — {s.lift.reason}
            </dd>
          </>
        )}
      </dl>
      {s.status === 'standing' &&
        (lifting ? (
          <LiftForm suspension={s} subject={subject} onCancel={() => setLifting(false)} onLifted={() => onLifted(`${subject} is served again: the suspension was lifted.`)} />
        ) : (
          <div class="actions">
            <button type="button" class="secondary" onClick={() => setLifting(true)}>
              Lift…
            </button>
          </div>
        ))}
    </article>
  );
}

function LiftForm({ suspension: s, subject, onCancel, onLifted }: { suspension: Suspension; subject: string; onCancel: () => void; onLifted: () => void }) {
  const [code, setCode] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const fieldError = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);
  const known = fieldError('reason_code') ?? fieldError('reason');
  return (
    <form
      aria-label={`Lift the suspension of ${subject}`}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          await post(`/suspensions/${encodeURIComponent(s.id)}/lift`, { reason_code: code || undefined, reason: reason.trim() || undefined });
          onLifted();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Notice tone="warning">Lifting serves {subject} again from its next request. Your reason goes into the case's access log and the audit log.</Notice>
      <div class="form-row">
        <Select
          label="Why it is lifted"
          value={code}
          onChange={(v) => {
            setError(undefined);
            setCode(v);
          }}
          error={fieldError('reason_code')}
        >
          <option value="">Choose a reason…</option>
          {liftReasons.map((r) => (
            <option key={r.code} value={r.code}>
              {r.label}
            </option>
          ))}
        </Select>
        <Field
          label="Reason"
          value={reason}
          onInput={(v) => {
            setError(undefined);
            setReason(v);
          }}
          error={fieldError('reason')}
          hint="Shown to the operator and reviewers; the tenant sees the reason code only."
        />
      </div>
      {error !== undefined && !known && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit" class="danger" disabled={busy}>
          {busy ? 'Lifting…' : 'Lift the suspension (recorded)'}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
