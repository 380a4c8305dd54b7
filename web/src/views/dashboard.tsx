import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, get, type Dashboard, type TrafficRow } from '../api';
import { Legend, StackedColumns } from '../charts';
import { Empty, formatNumber, formatTime, Load, Select, useLoad, ViewTitle } from '../ui';

// The operator dashboard (docs/portal.md, "Dashboard"): the fleet's traffic per hour and by tenant, deployment and
// backend, from GET /admin/v1/dashboard, which counts the receipts in the geography stores every node writes.

const refreshMs = 60_000;

const ranges: { hours: string; label: string }[] = [
  { hours: '6', label: 'Last 6 hours' },
  { hours: '24', label: 'Last 24 hours' },
  { hours: '48', label: 'Last 48 hours' },
  { hours: '168', label: 'Last 7 days' },
];

/** How each request ended, stacked in the chart; together they add up to the requests. */
const outcomes = [
  { key: 'served', label: 'Served' },
  { key: 'errors', label: 'Other errors' },
  { key: 'rate_limited', label: '429 (limits)' },
  { key: 'blocked', label: 'Blocked by safeguards' },
  { key: 'fail_closed', label: 'Failed closed' },
];

function outcome(row: TrafficRow, key: string): number {
  switch (key) {
    case 'served':
      return row.requests - row.errors;
    case 'errors':
      // A block, a 429 and a fail-closed refusal are errors too; this is the rest of them.
      return Math.max(0, row.errors - row.rate_limited - row.blocked - row.fail_closed);
    case 'rate_limited':
      return row.rate_limited;
    case 'blocked':
      return row.blocked;
    default:
      return row.fail_closed;
  }
}

const hourLabel = (hour: string) => `${hour.slice(5, 10)} ${hour.slice(11, 16)}`;

/** Under the chart's axis: the hour alone over up to two days (the dates are in the range line above), else the day. */
const axisLabel = (hours: number) => (hour: string) => (hours <= 48 ? hour.slice(11, 16) : hour.slice(5, 10));

export function OperatorDashboard() {
  const [hours, setHours] = useState('24');
  const [tenant, setTenant] = useState('');
  const [deployment, setDeployment] = useState('');
  const [backend, setBackend] = useState('');
  const query = new URLSearchParams({ hours });
  if (tenant) query.set('tenant', tenant);
  if (deployment) query.set('deployment', deployment);
  if (backend) query.set('backend', backend);
  const state = useLoad(() => get<Dashboard>(`/dashboard?${query}`), [hours, tenant, deployment, backend], true);
  // The filters offer what the unfiltered answers have shown, so choosing one tenant does not empty the other lists.
  const known = useRef({ tenants: new Map<string, string>(), deployments: new Map<string, string>(), backends: new Map<string, string>() });
  if (state.data) {
    state.data.by_tenant.forEach((t) => known.current.tenants.set(t.key, t.name));
    state.data.by_deployment.forEach((d) => known.current.deployments.set(d.key, d.name));
    state.data.by_backend.forEach((b) => known.current.backends.set(b.key, b.name));
  }
  const reload = state.reload;
  useEffect(() => {
    const timer = setInterval(() => document.hidden || reload(), refreshMs);
    return () => clearInterval(timer);
  }, [reload]);
  const stale = state.error !== undefined && state.data !== undefined;
  return (
    <>
      <ViewTitle subtitle="Requests, tokens, cost, errors, 429s, safeguard blocks and fail-closed refusals per hour, across every node, from the stored receipts and usage.">
        Dashboard
      </ViewTitle>
      <form class="filters dashboard-filters" aria-label="Dashboard filters" onSubmit={(e) => e.preventDefault()}>
        <Select label="Range" value={hours} onChange={setHours}>
          {ranges.map((r) => (
            <option key={r.hours} value={r.hours}>
              {r.label}
            </option>
          ))}
        </Select>
        <Select label="Tenant" value={tenant} onChange={setTenant}>
          <option value="">All tenants</option>
          {[...known.current.tenants].map(([key, name]) => (
            <option key={key} value={key}>
              {name}
            </option>
          ))}
        </Select>
        <Select label="Deployment" value={deployment} onChange={setDeployment}>
          <option value="">All deployments</option>
          {[...known.current.deployments].filter(([key]) => key).map(([key, name]) => (
            <option key={key} value={key}>
              {name}
            </option>
          ))}
        </Select>
        <Select label="Backend" value={backend} onChange={setBackend}>
          <option value="">All backends</option>
          {[...known.current.backends].filter(([key]) => key).map(([key]) => (
            <option key={key} value={key}>
              {key}
            </option>
          ))}
        </Select>
        <div class="actions">
          <button type="button" class="secondary" onClick={reload}>
            Refresh now
          </button>
        </div>
      </form>
      {stale ? (
        <>
          <div class="box warning" role="alert">
            Cannot reach the gateway ({errorMessage(state.error)}). What follows is as of {formatTime(state.data!.generated_at)} and may be out of date;
            it updates again once the gateway answers.
          </div>
          <div class="stale" data-stale-since={state.data!.generated_at}>
            <DashboardBody data={state.data!} />
          </div>
        </>
      ) : (
        <Load state={state} label="Loading the dashboard…">
          {(data) => <DashboardBody data={data} />}
        </Load>
      )}
    </>
  );
}

function DashboardBody({ data }: { data: Dashboard }) {
  const t = data.totals;
  const facts: [string, string][] = [
    ['Requests', formatNumber(t.requests)],
    ['Tokens', formatNumber(t.tokens)],
    [`Cost (${data.currency})`, t.cost ?? '—'],
    ['Errors', formatNumber(t.errors)],
    ['429s', formatNumber(t.rate_limited)],
    ['Blocked', formatNumber(t.blocked)],
    ['Failed closed', formatNumber(t.fail_closed)],
  ];
  const byHour = new Map(data.hours.map((h) => [h.key, h]));
  return (
    <>
      <p class="hint">
        {formatTime(data.from)} to {formatTime(data.to)} · as of {formatTime(data.generated_at)}
        {!data.cost_filtered && ' · the cost covers the tenant and deployment filters only (the ledger does not record backends)'}
      </p>
      <dl class="totals" aria-label="Totals">
        {facts.map(([k, v]) => (
          <div key={k} class="total" data-total={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <section class="card" aria-labelledby="traffic-h">
        <h2 id="traffic-h">Requests per hour, by outcome</h2>
        <StackedColumns
          caption="Requests per hour (UTC), stacked by how they ended"
          columns={data.hours.map((h) => h.key)}
          columnLabel={axisLabel(data.hours.length)}
          series={outcomes}
          value={(hour, key) => (byHour.has(hour) ? outcome(byHour.get(hour)!, key) : 0)}
          format={(v) => formatNumber(v)}
          class="dashboard-chart"
        />
        <Legend series={outcomes} label="Outcomes" />
        <details>
          <summary>Numbers per hour</summary>
          <TrafficTable caption="Per hour (UTC), oldest first" keyLabel="Hour" rows={data.hours} label={(r) => hourLabel(r.key)} name="hours" />
        </details>
      </section>
      <section class="card" aria-labelledby="tenants-h">
        <h2 id="tenants-h">By tenant</h2>
        <TrafficTable caption="By tenant, busiest first" keyLabel="Tenant" rows={data.by_tenant} name="tenants" />
      </section>
      <section class="card" aria-labelledby="deployments-h">
        <h2 id="deployments-h">By deployment</h2>
        <TrafficTable caption="By deployment, busiest first; “none” for requests refused before a deployment was resolved" keyLabel="Deployment" rows={data.by_deployment} name="deployments" />
      </section>
      <section class="card" aria-labelledby="backends-h">
        <h2 id="backends-h">By backend</h2>
        <TrafficTable caption="By backend, busiest first; “none” for requests refused before reaching one" keyLabel="Backend" rows={data.by_backend} name="backends" />
      </section>
    </>
  );
}

function TrafficTable(props: { caption: string; keyLabel: string; rows: TrafficRow[]; name: string; label?: (row: TrafficRow) => string }) {
  if (props.rows.length === 0) {
    return <Empty>No requests in this range.</Empty>;
  }
  return (
    <div class="table-wrap" tabIndex={0}>
      <table class={`traffic ${props.name}`}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{props.keyLabel}</th>
            <th scope="col">Requests</th>
            <th scope="col">Tokens</th>
            <th scope="col">Cost</th>
            <th scope="col">Errors</th>
            <th scope="col">429s</th>
            <th scope="col">Blocked</th>
            <th scope="col">Failed closed</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.key} data-key={r.key}>
              <th scope="row">
                {props.label ? (
                  props.label(r)
                ) : r.key ? (
                  <span title={r.key}>{r.name}</span>
                ) : (
                  'none'
                )}
              </th>
              <td data-field="requests">{formatNumber(r.requests)}</td>
              <td data-field="tokens">{formatNumber(r.tokens)}</td>
              <td data-field="cost">{r.cost ?? '—'}</td>
              <td data-field="errors">{formatNumber(r.errors)}</td>
              <td data-field="rate_limited">{formatNumber(r.rate_limited)}</td>
              <td data-field="blocked">{formatNumber(r.blocked)}</td>
              <td data-field="fail_closed">{formatNumber(r.fail_closed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
