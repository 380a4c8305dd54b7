import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  admin,
  errorMessage,
  get,
  listAll,
  post,
  type AdminToken,
  type AuditRecord,
  type BackendInfo,
  type BackendList,
  type LiveMetrics,
  type Page,
  type Publisher,
  type Role,
  type Tenant,
  type World,
} from '../api';
import { Bars } from '../charts';
import { Actor, ConfirmButton, Empty, ErrorBox, Field, formatNumber, formatTime, Load, Select, useLoad, ViewTitle } from '../ui';
import { LiveTraffic } from './live';
import { NewSecret } from './tenant';

// ---------------------------------------------------------------------------------------------------------------
// World: geographies, data zones, regions; publishers and where they declare they process.
// ---------------------------------------------------------------------------------------------------------------

export function OperatorWorld() {
  const state = useLoad(() => Promise.all([get<World>('/world'), listAll<Publisher>('/publishers')]), []);
  return (
    <>
      <ViewTitle subtitle="Geographies hold data zones, data zones hold regions. A resource's region fixes where its data rests.">World</ViewTitle>
      <Load state={state} label="Loading the world…">
        {([world, publishers]) => (
          <>
            <div class="world" role="list" aria-label="Geographies">
              {world.geographies.map((g) => (
                <section key={g.name} class="geo" role="listitem" aria-label={`Geography ${g.name}`} data-geography={g.name}>
                  <h2>Geography {g.name}</h2>
                  {g.data_zones.map((z) => (
                    <div key={z.name} class="zone">
                      <h3>Data zone {z.name}</h3>
                      <ul>
                        {z.regions.map((r) => (
                          <li key={r.name} class="region" data-region={r.name}>
                            <span class="region-name">{r.display_name}</span> <code>{r.name}</code>
                          </li>
                        ))}
                      </ul>
                    </div>
                  ))}
                  {g.regions_without_zone.length > 0 && (
                    <div class="zone nozone">
                      <h3>No data zone</h3>
                      <ul>
                        {g.regions_without_zone.map((r) => (
                          <li key={r.name} class="region" data-region={r.name}>
                            <span class="region-name">{r.display_name}</span> <code>{r.name}</code>
                          </li>
                        ))}
                      </ul>
                    </div>
                  )}
                </section>
              ))}
            </div>
            <RegionForm onSaved={state.reload} />
            <section class="card" aria-labelledby="publishers-h">
              <h2 id="publishers-h">Publishers</h2>
              {publishers.length === 0 ? (
                <Empty>No publishers.</Empty>
              ) : (
                <div class="table-wrap" tabIndex={0}>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Publisher</th>
                        <th scope="col">Contact</th>
                        <th scope="col">Endpoints (declared location)</th>
                      </tr>
                    </thead>
                    <tbody>
                      {publishers.map((p) => (
                        <tr key={p.id}>
                          <td>
                            {p.name} <code>{p.id}</code>
                          </td>
                          <td>{p.contact_email}</td>
                          <td>{p.endpoints.length === 0 ? 'none (built-in simulator)' : p.endpoints.map((e) => `${e.url} (${e.declared_location})`).join(', ')}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </>
        )}
      </Load>
    </>
  );
}

function RegionForm({ onSaved }: { onSaved: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [geography, setGeography] = useState('');
  const [zone, setZone] = useState('');
  const [display, setDisplay] = useState('');
  const [confirmWidening, setConfirmWidening] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>();
  const field = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  const widens = field('confirm_widening') !== undefined || confirmWidening;
  return (
    <div class="toolbar">
      <button type="button" class="secondary" aria-expanded={open} aria-controls="region-form" onClick={() => setOpen(!open)}>
        Add or change a region
      </button>
      {open && (
        <form
          id="region-form"
          class="panel"
          aria-label="Add or change a region"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            try {
              await admin('PUT', `/world/regions/${encodeURIComponent(name)}`, {
                body: { geography, data_zone: zone || null, display_name: display, confirm_widening: confirmWidening || undefined },
              });
              setOpen(false);
              setConfirmWidening(false);
              onSaved();
            } catch (err) {
              setError(err as Error);
            }
          }}
        >
          <div class="form-row">
            <Field label="Region name" value={name} onInput={setName} required error={field('name')} hint="a-z 0-9 -" />
            <Field label="Geography" value={geography} onInput={setGeography} required error={field('geography')} />
            <Field label="Data zone (empty: none)" value={zone} onInput={setZone} error={field('data_zone')} />
            <Field label="Display name" value={display} onInput={setDisplay} required error={field('display_name')} />
          </div>
          <p class="hint">While resources use a region, its data zone and geography cannot change.</p>
          {widens && (
            <label class="checkbox">
              <input type="checkbox" checked={confirmWidening} onChange={(e) => setConfirmWidening((e.target as HTMLInputElement).checked)} />
              Widen the boundary of the DataZone deployments named above (their tenants are told)
            </label>
          )}
          {error && <ErrorBox error={error} />}
          <div class="actions">
            <button type="submit">Save region</button>
          </div>
        </form>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Tenants and admin tokens.
// ---------------------------------------------------------------------------------------------------------------

export function OperatorTenants() {
  const state = useLoad(() => Promise.all([listAll<Tenant>('/tenants'), listAll<AdminToken>('/tokens'), listAll<Publisher>('/publishers')]), []);
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <>
      <ViewTitle subtitle="The marketplace's customers and the admin tokens that sign in here and to the admin API.">Tenants & tokens</ViewTitle>
      <Load state={state} label="Loading tenants and tokens…">
        {([tenants, tokens, publishers]) => (
          <>
            <section class="card" aria-labelledby="tenants-h">
              <h2 id="tenants-h">Tenants</h2>
              <div class="table-wrap" tabIndex={0}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Tenant</th>
                      <th scope="col">Billing contact</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {tenants.map((t) => (
                      <tr key={t.id} data-tenant={t.id}>
                        <td>
                          {t.name} <code>{t.id}</code>
                        </td>
                        <td>
                          {t.billing_contact.name} &lt;{t.billing_contact.email}&gt;
                        </td>
                        <td>{formatTime(t.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <NewTenant onCreated={state.reload} />
            </section>
            <section class="card" aria-labelledby="tokens-h">
              <h2 id="tokens-h">Admin tokens</h2>
              {secret && <NewSecret label="New admin token" value={secret} onDone={() => setSecret(null)} />}
              <div class="table-wrap" tabIndex={0}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Id</th>
                      <th scope="col">Prefix</th>
                      <th scope="col">Role</th>
                      <th scope="col">Scope</th>
                      <th scope="col">Created</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {tokens.map((t) => (
                      <tr key={t.id} data-token={t.id}>
                        <td>{t.name}</td>
                        <td>
                          <code>{t.id}</code>
                        </td>
                        <td>
                          <code>{t.prefix}</code>
                        </td>
                        <td>{t.role}</td>
                        <td>{t.tenant_id ?? t.publisher_id ?? 'everything'}{t.geographies?.length ? ` · ${t.geographies.join(', ')}` : ''}</td>
                        <td>
                          {formatTime(t.created_at)} by <Actor id={t.created_by} name={t.created_by_name} />
                        </td>
                        <td>
                          {t.revoked_at ? (
                            <span class="badge muted">revoked</span>
                          ) : (
                            <ConfirmButton
                              label="Revoke"
                              confirmLabel={`Revoke ${t.prefix} now`}
                              consequence="Whoever holds this token is refused (401) from their next call."
                              onConfirm={async () => void (await post(`/tokens/${t.id}/revoke`), state.reload())} />
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <NewToken
                tenants={tenants}
                publishers={publishers}
                onCreated={(token) => {
                  setSecret(token);
                  state.reload();
                }}
              />
            </section>
          </>
        )}
      </Load>
    </>
  );
}

function NewTenant({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [contact, setContact] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<ApiError | Error | undefined>();
  const field = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  return (
    <form
      class="panel"
      aria-label="New tenant"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        try {
          await post('/tenants', { name, billing_contact: { name: contact, email } });
          setName('');
          setContact('');
          setEmail('');
          onCreated();
        } catch (err) {
          setError(err as Error);
        }
      }}
    >
      <h3>New tenant</h3>
      <div class="form-row">
        <Field label="Tenant name" value={name} onInput={setName} required error={field('name')} />
        <Field label="Billing contact" value={contact} onInput={setContact} required error={field('billing_contact.name')} />
        <Field label="Billing e-mail" type="email" value={email} onInput={setEmail} required error={field('billing_contact.email')} />
      </div>
      {error && Object.keys(error instanceof ApiError ? error.errors : {}).length === 0 && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit">Create tenant</button>
      </div>
    </form>
  );
}

const roles: Role[] = ['tenant-admin', 'tenant-developer', 'publisher-admin', 'reviewer', 'operator-admin'];

function NewToken({ tenants, publishers, onCreated }: { tenants: Tenant[]; publishers: Publisher[]; onCreated: (token: string) => void }) {
  const [role, setRole] = useState<Role>('tenant-admin');
  const [name, setName] = useState('');
  const [tenantId, setTenantId] = useState(tenants[0]?.id ?? '');
  const [publisherId, setPublisherId] = useState(publishers[0]?.id ?? '');
  const [geographies, setGeographies] = useState('');
  const [error, setError] = useState<ApiError | Error | undefined>();
  const field = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  const tenantRole = role === 'tenant-admin' || role === 'tenant-developer';
  const publisherRole = role === 'publisher-admin' || role === 'reviewer';
  return (
    <form
      class="panel"
      aria-label="New admin token"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        const body: Record<string, unknown> = { role, name };
        if (tenantRole) {
          body.tenant_id = tenantId;
        }
        if (publisherRole) {
          body.publisher_id = publisherId;
        }
        if (role === 'reviewer') {
          body.geographies = geographies
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean);
        }
        try {
          const created = await post<AdminToken & { token: string }>('/tokens', body);
          setName('');
          onCreated(created.token);
        } catch (err) {
          setError(err as Error);
        }
      }}
    >
      <h3>New admin token</h3>
      <div class="form-row">
        <Select label="Role" value={role} onChange={(v) => setRole(v as Role)} error={field('role')}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </Select>
        <Field label="Token name" value={name} onInput={setName} required error={field('name')} />
        {tenantRole && (
          <Select label="Tenant" value={tenantId} onChange={setTenantId} error={field('tenant_id')}>
            {tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </Select>
        )}
        {publisherRole && (
          <Select label="Publisher" value={publisherId} onChange={setPublisherId} error={field('publisher_id')}>
            {publishers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.id})
              </option>
            ))}
          </Select>
        )}
        {role === 'reviewer' && <Field label="Geographies (comma-separated)" value={geographies} onInput={setGeographies} error={field('geographies')} />}
      </div>
      {error && Object.keys(error instanceof ApiError ? error.errors : {}).length === 0 && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit">Create token</button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Backends (only when the gateway exposes them) and the audit log.
// ---------------------------------------------------------------------------------------------------------------

/** How often the backends view asks again while it is open and visible. */
const backendRefreshMs = 5000;

export function OperatorBackends() {
  const state = useLoad(() => get<BackendList>('/backends'), [], true);
  const metrics = useLoad(() => get<LiveMetrics>('/metrics'), [], true);
  const previousMetrics = useRef<{ latest?: LiveMetrics; before?: LiveMetrics }>({});
  if (metrics.data && metrics.data !== previousMetrics.current.latest) {
    previousMetrics.current = { latest: metrics.data, before: previousMetrics.current.latest };
  }
  const [live, setLive] = useState(true);
  const stale = state.error !== undefined && state.data !== undefined;
  const reloadBackends = state.reload;
  const reloadMetrics = metrics.reload;
  const reload = useCallback(() => {
    reloadBackends();
    reloadMetrics();
  }, [reloadBackends, reloadMetrics]);
  useEffect(() => {
    if (!live) {
      return;
    }
    // A hidden tab does not poll: the numbers are for someone looking at them.
    const timer = setInterval(() => document.hidden || reload(), backendRefreshMs);
    return () => clearInterval(timer);
  }, [live, reload]);
  return (
    <>
      <ViewTitle subtitle="The backends this node routes to: health, latency, traffic and errors, from the router's own counters.">Backends</ViewTitle>
      <div class="live-bar">
        <button type="button" class="secondary" aria-pressed={live} onClick={() => setLive(!live)}>
          {live ? 'Pause live updates' : 'Resume live updates'}
        </button>
        <button type="button" class="secondary" onClick={reload}>
          Refresh now
        </button>
        {state.data && (
          <span class="hint">
            {live ? `Live: every ${backendRefreshMs / 1000} s` : 'Paused'} · as of {formatTime(state.data.at)}
          </span>
        )}
      </div>
      {stale ? (
        <>
          <div class="box warning" role="alert">
            Cannot reach the gateway ({errorMessage(state.error)}). What follows is as of {formatTime(state.data!.at)} and may be out of date; it
            updates again once the gateway answers.
          </div>
          <div class="stale" data-stale-since={state.data!.at}>
            <BackendTable list={state.data!} />
          </div>
        </>
      ) : (
        <Load state={state} label="Loading backends…">
          {(list) => <BackendTable list={list} />}
        </Load>
      )}
      {metrics.data && !stale && <LiveTraffic metrics={metrics.data} before={previousMetrics.current.before} />}
    </>
  );
}

const conditionTone: Record<BackendInfo['condition'], string> = { healthy: 'ok', overloaded: 'warn', ejected: 'bad', probe_down: 'bad' };

/**
 * How a backend looks now: the router keeps a backend "healthy" until enough attempts failed to eject it, but one
 * whose last attempts failed is shown as failing from the first failure, not once it is ejected.
 */
function healthShown(b: BackendInfo): { tone: string; label: string; condition: string } {
  if (b.condition === 'healthy' && b.consecutive_failures > 0) {
    return { tone: 'bad', label: 'failing', condition: 'failing' };
  }
  return { tone: conditionTone[b.condition], label: b.health, condition: b.condition };
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })} %`;
}

function BackendTable({ list }: { list: BackendList }) {
  if (list.data.length === 0) {
    return <Empty>This node has no backends.</Empty>;
  }
  const healthy = list.data.filter((b) => healthShown(b).condition === 'healthy').length;
  const span = `${list.window_seconds} s`;
  return (
    <>
      <dl class="stats" aria-label="This node's traffic">
        <div>
          <dt>Healthy backends</dt>
          <dd data-field="healthy">
            {healthy} of {list.data.length}
          </dd>
        </div>
        <div>
          <dt>Requests, last {span}</dt>
          <dd data-field="requests">{formatNumber(list.total.requests_last_minute)}</dd>
        </div>
        <div>
          <dt>Errors, last {span}</dt>
          <dd data-field="errors">
            {formatNumber(list.total.errors_last_minute)} ({percent(list.total.error_rate_last_minute)})
          </dd>
        </div>
        <div>
          <dt>Since this node started</dt>
          <dd data-field="totals">
            {formatNumber(list.total.requests)} requests, {formatNumber(list.total.errors)} errors
          </dd>
        </div>
      </dl>
      <Bars
        class="traffic-chart"
        caption={`Requests per backend, last ${span}`}
        rows={list.data.map((b) => ({ key: b.id, label: b.id, value: b.traffic.requests_last_minute, seriesIndex: 0 }))}
        format={(v) => formatNumber(v)}
      />
      <div class="table-wrap" tabIndex={0}>
        <table class="backends">
          <caption>Requests count attempts (a failover tries several backends); errors are connection failures, 5xx, 429 and 529 answers, and answers that broke off.</caption>
          <thead>
            <tr>
              <th scope="col">Backend</th>
              <th scope="col">Processes in</th>
              <th scope="col">Health</th>
              <th scope="col">Latency (time to first token, moving average)</th>
              <th scope="col">In flight</th>
              <th scope="col">Requests, last {span}</th>
              <th scope="col">Errors, last {span}</th>
              <th scope="col">Since start</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((b) => (
              <tr key={b.id} data-backend={b.id} data-condition={healthShown(b).condition}>
                <td>
                  <code>{b.id}</code>
                  <br />
                  <span class="hint">
                    {b.kind}
                    {b.models ? ` · ${b.models.join(', ')}` : ' · every model'}
                  </span>
                </td>
                <td>
                  {b.operated_by === 'platform' ? b.region : `publisher ${b.operated_by}: ${b.region}`}
                  {b.data_zone && <span class="hint"> · data zone {b.data_zone}</span>}
                </td>
                <td>
                  <span class={`badge ${healthShown(b).tone}`}>{healthShown(b).label}</span>
                  {b.ejected_until && <span class="hint"> until {formatTime(b.ejected_until)}</span>}
                  {b.consecutive_failures > 0 && <span class="hint"> · {b.consecutive_failures} failure(s) in a row</span>}
                  {!b.probed && <span class="hint"> · judged by its answers (no probe)</span>}
                </td>
                <td data-field="latency">{b.latency_ms === null ? 'not measured yet' : `${b.latency_ms.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms`}</td>
                <td>
                  {formatNumber(b.in_flight)}
                  {b.max_in_flight !== null && ` of ${formatNumber(b.max_in_flight)}`}
                </td>
                <td data-field="requests">{formatNumber(b.traffic.requests_last_minute)}</td>
                <td data-field="errors">
                  {formatNumber(b.traffic.errors_last_minute)} ({percent(b.traffic.error_rate_last_minute)})
                </td>
                <td>
                  <span data-field="total-requests">{formatNumber(b.traffic.requests)}</span> / {formatNumber(b.traffic.errors)} errors
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

interface AuditQuery {
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  /** Days (YYYY-MM-DD, UTC), both included. */
  fromDay: string;
  toDay: string;
}

const anyRecord: AuditQuery = { actor: '', action: '', objectType: '', objectId: '', fromDay: '', toDay: '' };

function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString();
}

export function OperatorAudit() {
  const [draft, setDraft] = useState<AuditQuery>(anyRecord);
  const [filter, setFilter] = useState<AuditQuery>(anyRecord);
  const [pages, setPages] = useState<AuditRecord[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const edit = (field: keyof AuditQuery) => (value: string) => setDraft({ ...draft, [field]: value });
  const query = (c: string | null) => {
    const params = new URLSearchParams({ limit: '50' });
    if (filter.actor) params.set('actor', filter.actor);
    if (filter.action) params.set('action', filter.action);
    if (filter.objectType) params.set('object_type', filter.objectType);
    if (filter.objectId) params.set('object_id', filter.objectId);
    if (filter.fromDay) params.set('from', `${filter.fromDay}T00:00:00Z`);
    if (filter.toDay) params.set('to', nextDay(filter.toDay));
    if (c) params.set('cursor', c);
    return `/audit?${params}`;
  };
  const first = useLoad(async () => {
    const page = await get<Page<AuditRecord>>(query(null));
    setPages([page.data]);
    setCursor(page.next_cursor);
    return page;
  }, [filter]);
  const [moreError, setMoreError] = useState<unknown>(undefined);
  const records = pages.flat();
  return (
    <>
      <ViewTitle subtitle="Every change to the marketplace, newest first: who, what, before and after.">Audit</ViewTitle>
      <form
        class="inline-form"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({
            actor: draft.actor.trim(),
            action: draft.action.trim(),
            objectType: draft.objectType.trim(),
            objectId: draft.objectId.trim(),
            fromDay: draft.fromDay,
            toDay: draft.toDay,
          });
        }}
      >
        <Field label="Actor" value={draft.actor} onInput={edit('actor')} placeholder="token name or token:tok_…" />
        <Field label="Action" value={draft.action} onInput={edit('action')} placeholder="key or key.revoke" />
        <Field label="Object type" value={draft.objectType} onInput={edit('objectType')} placeholder="deployment" />
        <Field label="Object id" value={draft.objectId} onInput={edit('objectId')} placeholder="dep_…" />
        <Field label="From (UTC day)" type="date" value={draft.fromDay} onInput={edit('fromDay')} />
        <Field label="To (UTC day, included)" type="date" value={draft.toDay} onInput={edit('toDay')} />
        <button type="submit">Filter</button>
      </form>
      <Load state={first} label="Loading the audit log…">
        {() =>
          records.length === 0 ? (
            <Empty>No audit records match.</Empty>
          ) : (
            <>
              <div class="table-wrap" tabIndex={0}>
                <table class="audit">
                  <thead>
                    <tr>
                      <th scope="col">At</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Action</th>
                      <th scope="col">Object</th>
                      <th scope="col">Change</th>
                    </tr>
                  </thead>
                  <tbody>
                    {records.map((r) => (
                      <tr key={r.id} data-action={r.action}>
                        <td>{formatTime(r.at)}</td>
                        <td>
                          {r.actor_name ? (
                            <span class="actor" title={r.actor}>
                              {r.actor_name}
                            </span>
                          ) : (
                            <code>{r.actor}</code>
                          )}
                        </td>
                        <td>{r.action}</td>
                        <td>
                          {r.object_type} <code>{r.object_id}</code>
                        </td>
                        <td>
                          {r.before === null && r.after === null ? (
                            '—'
                          ) : (
                            <details>
                              <summary>what changed</summary>
                              <AuditDiff before={r.before} after={r.after} />
                            </details>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {moreError !== undefined && <ErrorBox error={moreError} />}
              {cursor && (
                <button
                  type="button"
                  class="secondary"
                  onClick={async () => {
                    try {
                      const page = await get<Page<AuditRecord>>(query(cursor));
                      setPages([...pages, page.data]);
                      setCursor(page.next_cursor);
                    } catch (err) {
                      setMoreError(err);
                    }
                  }}
                >
                  Load older records
                </button>
              )}
            </>
          )
        }
      </Load>
    </>
  );
}

/** What a change did, field by field: only the fields that differ, before struck through and after inserted. */
function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  const was = flatten(before);
  const is = flatten(after);
  const fields = [...new Set([...Object.keys(was), ...Object.keys(is)])].sort();
  const changed = fields.filter((f) => was[f] !== is[f]);
  const unchanged = fields.length - changed.length;
  return (
    <div class="diff">
      <table>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {changed.map((f) => (
            <tr key={f} data-field={f}>
              <th scope="row">
                <code>{f}</code>
              </th>
              <td>{was[f] === undefined ? <span class="muted">—</span> : <del>{was[f]}</del>}</td>
              <td>{is[f] === undefined ? <span class="muted">—</span> : <ins>{is[f]}</ins>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {unchanged > 0 && <p class="hint">{unchanged === 1 ? '1 field unchanged' : `${unchanged} fields unchanged`}</p>}
    </div>
  );
}

/** A JSON value as dotted paths to its leaves (<code>prices.input</code>, <code>models[0].model_id</code>), each leaf as JSON text. */
function flatten(value: unknown, path = '', into: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((item, i) => flatten(item, `${path}[${i}]`, into));
  } else if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) {
      flatten(item, path ? `${path}.${key}` : key, into);
    }
  } else if (value !== null || path) {
    into[path || '(value)'] = JSON.stringify(value);
  }
  return into;
}
