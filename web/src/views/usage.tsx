import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { get, getOptional, listReceipts, type DailyUsage, type Receipt, type ReceiptPage } from '../api';
import { allowedRegions, BoundaryPicture, boundaryWords } from '../boundary';
import { Bars, Legend, StackedColumns } from '../charts';
import { TenantGate } from '../scope';
import { currentPeriod, Empty, ErrorBox, Field, formatNumber, formatTime, Load, Notice, RadioChoice, Spinner, useId, useLoad, ViewTitle } from '../ui';
import { Generic } from './generic';
import { hostingLabel, loadEstate, type TenantEstate } from './tenant';
import { TenantLimits } from './limits';

// Usage and cost (the invoice API), where requests were processed (the boundary report) and receipts (one, or a
// period's, by the signed-in role). Each part shows what this gateway has and says so when an API is not installed.

interface InvoiceLine {
  deployment_id: string;
  deployment_name: string;
  model: string;
  offer_id: string;
  token_type: string;
  tokens: number;
  unit_price_per_million: string;
  amount: string;
}

interface Invoice {
  tenant_id: string;
  period: string;
  status: string;
  invoice_id: string | null;
  issued_at: string | null;
  currency: string;
  lines: InvoiceLine[];
  total: string;
  total_due: string;
}

interface DeploymentBoundary {
  deployment_id: string;
  deployment_name: string | null;
  hosting_option: string | null;
  deployment_type: string | null;
  boundary: string;
  requests: number;
  processed: number;
  failed_closed: number;
  processed_in: { operator: string; region: string; data_zone: string | null; requests: number }[];
  violations: number;
  violation_request_ids: string[];
  // Requests whose content a person opened later, and who (absent on older gateways).
  content_opened?: number;
  content_opened_by?: { party: string; requests: number }[];
}

interface BoundaryReport {
  tenant_id: string;
  from: string;
  to: string;
  requests: number;
  violations: number;
  deployments: DeploymentBoundary[];
}

/** The UTC bounds of a YYYY-MM period. */
function periodBounds(period: string): { from: string; to: string } {
  const [year, month] = period.split('-').map(Number);
  return { from: new Date(Date.UTC(year, month - 1, 1)).toISOString(), to: new Date(Date.UTC(year, month, 1)).toISOString() };
}

export function TenantUsage() {
  return (
    <>
      <ViewTitle subtitle="What was used and what it costs, where requests were processed, and for any request its receipt.">Usage & receipts</ViewTitle>
      <TenantGate>{(tenantId) => <Usage tenantId={tenantId} />}</TenantGate>
    </>
  );
}

function Usage({ tenantId }: { tenantId: string }) {
  const [period, setPeriod] = useState(currentPeriod());
  const bounds = periodBounds(period);
  const invoice = useLoad(() => getOptional<unknown>(`/tenants/${tenantId}/invoices?period=${encodeURIComponent(period)}`), [tenantId, period]);
  const daily = useLoad(() => get<DailyUsage>(`/tenants/${tenantId}/usage/daily?period=${encodeURIComponent(period)}`), [tenantId, period]);
  const report = useLoad(
    () => getOptional<unknown>(`/tenants/${tenantId}/boundary-report?from=${encodeURIComponent(bounds.from)}&to=${encodeURIComponent(bounds.to)}`),
    [tenantId, period],
  );
  const estate = useLoad(() => loadEstate(tenantId), [tenantId]);
  const periodId = useId('period');
  return (
    <>
      <div class="inline-form">
        <div class="field">
          <label for={periodId}>Period</label>
          <input id={periodId} type="month" value={period} onChange={(e) => e.currentTarget.value && setPeriod(e.currentTarget.value)} />
        </div>
      </div>
      <section aria-labelledby="usage-h" class="usage card">
        <h2 id="usage-h">Usage and cost</h2>
        <Load state={daily} label="Loading usage per day…">
          {(data) => <UsageCharts daily={data} />}
        </Load>
        <Load state={invoice} label="Loading the invoice…">
          {(data) =>
            data === null ? (
              <Notice>Usage and invoices are not available on this gateway yet (its metering API is not installed). Each receipt below still shows the tokens it used.</Notice>
            ) : isInvoice(data) ? (
              <InvoiceSummary invoice={data} />
            ) : (
              <Generic value={data} title={`Invoice for ${period}`} />
            )
          }
        </Load>
      </section>
      <section aria-labelledby="limits-h" class="limits card">
        <h2 id="limits-h">Limits and budget</h2>
        <TenantLimits tenantId={tenantId} estate={estate.data} />
      </section>
      <section aria-labelledby="report-h" class="boundary-report card">
        <h2 id="report-h">Boundary report</h2>
        <Load state={report} label="Loading the boundary report…">
          {(data) =>
            data === null ? (
              <Notice>The boundary report is not available on this gateway yet. Each receipt below says where its request was processed.</Notice>
            ) : isBoundaryReport(data) ? (
              <BoundaryReportSummary report={data} />
            ) : (
              <Generic value={data} />
            )
          }
        </Load>
      </section>
      <section aria-labelledby="receipt-h" class="receipts card">
        <h2 id="receipt-h">Receipts</h2>
        <p class="subtitle">
          Every response carries a <code>request-id</code> header: enter it to see that request's receipt, or leave it empty to list the period's
          receipts of all your resources, as you are signed in.
        </p>
        <ReceiptFinder tenantId={tenantId} estate={estate.data} period={period} />
      </section>
    </>
  );
}

type Metric = 'cost' | 'tokens' | 'requests';

const metrics: { key: Metric; label: string }[] = [
  { key: 'cost', label: 'Cost' },
  { key: 'tokens', label: 'Tokens' },
  { key: 'requests', label: 'Requests' },
];

function measure(numbers: { cost: string; requests: number; input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number }, metric: Metric): number {
  switch (metric) {
    case 'cost':
      return Number(numbers.cost);
    case 'requests':
      return numbers.requests;
    default:
      return numbers.input_tokens + numbers.output_tokens + numbers.cache_creation_input_tokens + numbers.cache_read_input_tokens;
  }
}

/** Money on an axis or a bar: cents from a dollar up, two significant digits below (requests often cost fractions of a cent). */
function formatMoney(value: number): string {
  if (value === 0) {
    return '$0';
  }
  if (value >= 1) {
    return `$${value.toFixed(2)}`;
  }
  const digits = Math.min(20, 1 - Math.floor(Math.log10(value)));
  return `$${value.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '')}`;
}

function formatCount(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })}k` : formatNumber(Math.round(value));
}

/** Every day of a YYYY-MM period, as YYYY-MM-DD. */
function daysOf(period: string): string[] {
  const [year, month] = period.split('-').map(Number);
  const count = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return Array.from({ length: count }, (_, i) => `${period}-${String(i + 1).padStart(2, '0')}`);
}

/** Usage per day (stacked by deployment) and per deployment, in cost, tokens or requests. */
function UsageCharts({ daily }: { daily: DailyUsage }) {
  const [metric, setMetric] = useState<Metric>('cost');
  if (daily.days.length === 0) {
    return <Empty>No usage in {daily.period}.</Empty>;
  }
  const deployments = new Map<string, string>();
  for (const day of daily.days) {
    for (const d of day.deployments) {
      deployments.set(d.deployment_id, d.deployment_name);
    }
  }
  const series = [...deployments].map(([key, label]) => ({ key, label })).sort((a, b) => a.label.localeCompare(b.label));
  const byDay = new Map(daily.days.map((d) => [d.day, new Map(d.deployments.map((x) => [x.deployment_id, x]))]));
  const value = (day: string, deployment: string) => {
    const numbers = byDay.get(day)?.get(deployment);
    return numbers ? measure(numbers, metric) : 0;
  };
  const format = metric === 'cost' ? formatMoney : formatCount;
  const label = metrics.find((m) => m.key === metric)!.label;
  const unit = metric === 'cost' ? ` (${daily.currency})` : '';
  const totals = series.map((s, i) => ({ key: s.key, label: s.label, seriesIndex: i, value: daily.days.reduce((sum, d) => sum + value(d.day, s.key), 0) }));
  return (
    <div class="usage-charts" data-metric={metric}>
      <RadioChoice legend="Show" name="metric" class="metric-choice" options={metrics} value={metric} onChange={setMetric} />
      <Legend series={series} label="Deployments" />
      <div class="charts">
        <StackedColumns
          class="daily-chart"
          caption={`${label} per day${unit}, ${daily.period}, stacked by deployment`}
          columns={daysOf(daily.period)}
          columnLabel={(day) => String(Number(day.slice(8)))}
          series={series}
          value={value}
          format={format}
        />
        <Bars class="deployment-chart" caption={`${label} per deployment${unit}, ${daily.period}`} rows={totals} format={format} />
      </div>
      <details class="chart-table">
        <summary>The numbers per day and deployment</summary>
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Deployment</th>
                <th scope="col">Requests</th>
                <th scope="col">Input tokens</th>
                <th scope="col">Output tokens</th>
                <th scope="col">Cache write</th>
                <th scope="col">Cache read</th>
                <th scope="col">Cost ({daily.currency})</th>
              </tr>
            </thead>
            <tbody>
              {daily.days.flatMap((day) =>
                day.deployments.map((d) => (
                  <tr key={`${day.day}|${d.deployment_id}`} data-day={day.day} data-deployment={d.deployment_name}>
                    <td>{day.day}</td>
                    <td>{d.deployment_name}</td>
                    <td>{formatNumber(d.requests)}</td>
                    <td>{formatNumber(d.input_tokens)}</td>
                    <td>{formatNumber(d.output_tokens)}</td>
                    <td>{formatNumber(d.cache_creation_input_tokens)}</td>
                    <td>{formatNumber(d.cache_read_input_tokens)}</td>
                    <td>{d.cost}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}

function isInvoice(value: unknown): value is Invoice {
  const v = value as Invoice;
  return !!v && Array.isArray(v.lines) && typeof v.total === 'string';
}

function isBoundaryReport(value: unknown): value is BoundaryReport {
  const v = value as BoundaryReport;
  return !!v && Array.isArray(v.deployments) && typeof v.requests === 'number';
}

function InvoiceSummary({ invoice }: { invoice: Invoice }) {
  return (
    <div class="invoice" data-invoice-status={invoice.status}>
      <dl class="facts">
        <dt>Period</dt>
        <dd>
          {invoice.period} · {invoice.status}
          {invoice.invoice_id && ` · invoice ${invoice.invoice_id} issued ${formatTime(invoice.issued_at)}`}
        </dd>
        <dt>Total</dt>
        <dd class="total" data-field="total">
          {invoice.total} {invoice.currency}
        </dd>
        <dt>Due</dt>
        <dd>
          {invoice.total_due} {invoice.currency}
        </dd>
      </dl>
      {invoice.lines.length === 0 ? (
        <Empty>No usage in this period.</Empty>
      ) : (
        <>
          <div class="table-wrap" tabIndex={0}>
            <table>
              <caption>Invoice lines: deployment × model × token type, at the offer's price when used</caption>
              <thead>
                <tr>
                  <th scope="col">Deployment</th>
                  <th scope="col">Model</th>
                  <th scope="col">Token type</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Price / MTok</th>
                  <th scope="col">Amount</th>
                </tr>
              </thead>
              <tbody>
                {invoice.lines.map((l, i) => (
                  <tr key={i}>
                    <td>{l.deployment_name}</td>
                    <td>{l.model}</td>
                    <td>{l.token_type}</td>
                    <td>{formatNumber(l.tokens)}</td>
                    <td>{l.unit_price_per_million}</td>
                    <td>{l.amount}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

function BoundaryReportSummary({ report }: { report: BoundaryReport }) {
  return (
    <>
      <Notice tone={report.violations === 0 ? 'success' : 'warning'}>
        {formatNumber(report.requests)} request(s) from {formatTime(report.from)} to {formatTime(report.to)};{' '}
        {report.violations === 0 ? 'none was processed outside its boundary.' : `${report.violations} processed outside their boundary.`}
      </Notice>
      {report.deployments.length > 0 && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Boundary</th>
                <th scope="col">Requests</th>
                <th scope="col">Processed in</th>
                <th scope="col">Refused (fail closed)</th>
                <th scope="col">Content opened later</th>
                <th scope="col">Outside boundary</th>
              </tr>
            </thead>
            <tbody>
              {report.deployments.map((d) => (
                <tr key={d.deployment_id} data-deployment={d.deployment_name ?? d.deployment_id}>
                  <td>{d.deployment_name ?? d.deployment_id}</td>
                  <td>{d.boundary}</td>
                  <td>{formatNumber(d.requests)}</td>
                  <td>{d.processed_in.map((p) => `${p.region}${p.operator !== 'platform' ? ` (${p.operator})` : ''}: ${formatNumber(p.requests)}`).join(', ') || '—'}</td>
                  <td>{formatNumber(d.failed_closed)}</td>
                  <td>
                    {d.content_opened
                      ? `${formatNumber(d.content_opened)} by ${(d.content_opened_by ?? []).map((o) => `${partyWords(o.party)} (${formatNumber(o.requests)})`).join(', ')}`
                      : 'none'}
                  </td>
                  <td>{d.violations === 0 ? 'none' : `${d.violations}: ${d.violation_request_ids.join(', ')}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** One receipt by request id, or the receipts of a period. */
function ReceiptFinder({ tenantId, estate, period }: { tenantId: string; estate: TenantEstate | undefined; period: string }) {
  const [requestId, setRequestId] = useState('');
  const [selected, setSelected] = useState<Receipt | null>(null);
  const [page, setPage] = useState<ReceiptPage | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <form
        class="inline-form"
        aria-label="Find receipts"
        onSubmit={(e) => {
          e.preventDefault();
          setSelected(null);
          setPage(undefined);
          void run(async () => {
            // By the signed-in role: no API key is needed to read the tenant's own receipts.
            if (requestId.trim()) {
              setSelected(await get<Receipt>(`/tenants/${encodeURIComponent(tenantId)}/receipts/${encodeURIComponent(requestId.trim())}`));
            } else {
              const { from, to } = periodBounds(period);
              setPage(await listReceipts(tenantId, from, to));
            }
          });
        }}
      >
        <Field label="Request id" value={requestId} onInput={setRequestId} placeholder="req_… (empty: the period's receipts)" />
        <button type="submit" disabled={busy}>
          {requestId.trim() ? 'Show receipt' : 'List receipts'}
        </button>
      </form>
      {busy && <Spinner label="Looking up receipts…" />}
      {error !== undefined && <ErrorBox error={error} />}
      {page && (
        <ReceiptList
          page={page}
          onShow={setSelected}
          onMore={() => run(async () => {
            const { from, to } = periodBounds(period);
            const next = await listReceipts(tenantId, from, to, page.next_cursor);
            setPage({ ...next, data: [...page.data, ...next.data] });
          })}
        />
      )}
      {selected && <ReceiptReport receipt={selected} estate={estate} />}
    </>
  );
}

function ReceiptList({ page, onShow, onMore }: { page: ReceiptPage; onShow: (r: Receipt) => void; onMore: () => void }) {
  if (page.data.length === 0) {
    return <Empty>No receipts in this period.</Empty>;
  }
  return (
    <div class="table-wrap" tabIndex={0}>
      <table class="receipt-list">
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Request</th>
            <th scope="col">Deployment</th>
            <th scope="col">Processed in</th>
            <th scope="col">Status</th>
            <th scope="col">Tokens in / out</th>
          </tr>
        </thead>
        <tbody>
          {page.data.map((r) => (
            <tr key={r.request_id} data-request={r.request_id}>
              <td>{formatTime(r.created_at)}</td>
              <td>
                <button type="button" class="link" onClick={() => onShow(r)} aria-label={`Show receipt ${r.request_id}`}>
                  {r.request_id}
                </button>
              </td>
              <td>{r.deployment_name ?? '—'}</td>
              <td>{r.processing_region ?? '—'}</td>
              <td>{r.status}</td>
              <td>
                {formatNumber(r.input_tokens)} / {formatNumber(r.output_tokens)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.has_more && (
        <button type="button" class="secondary" onClick={onMore}>
          More receipts
        </button>
      )}
    </div>
  );
}

/** A content recipient's party in words: the operator, a publisher or a tenant (ids carry their kind as a prefix). */
function partyWords(party: string): string {
  if (party === 'operator') return 'the operator';
  if (party.startsWith('pub_')) return `publisher ${party}`;
  if (party.startsWith('ten_')) return `tenant ${party}`;
  return party;
}

function ReceiptReport({ receipt: r, estate }: { receipt: Receipt; estate: TenantEstate | undefined }) {
  const deployment = estate ? [...estate.deployments.values()].flat().find((d) => d.id === r.deployment_id) : undefined;
  let verdict: { ok: boolean; text: string } | null = null;
  if (deployment && estate) {
    const choice = { region: deployment.region, hosting: deployment.hosting_option, type: deployment.deployment_type };
    if (r.processing_region === null) {
      verdict = { ok: true, text: `Not processed anywhere${r.routing_failure ? `: ${r.routing_failure}` : ''}.` };
    } else if (deployment.hosting_option === 'publisher') {
      verdict = { ok: true, text: `Processed on the publisher's infrastructure (declared location: ${r.processing_region}), as acknowledged for this deployment.` };
    } else {
      const inside = allowedRegions(estate.world, choice).has(r.processing_region);
      verdict = inside
        ? { ok: true, text: `Processed in ${r.processing_region}: inside the deployment's boundary (${boundaryWords(estate.world, choice)}).` }
        : { ok: false, text: `Processed in ${r.processing_region}: outside the deployment's boundary (${boundaryWords(estate.world, choice)}).` };
    }
  }
  const rows: [string, string][] = [
    ['Request', r.request_id],
    ['At', formatTime(r.created_at)],
    ['Deployment', `${r.deployment_name ?? '—'} (${r.deployment_id ?? '—'})`],
    ['Model', r.model ?? '—'],
    ['Hosting', r.hosting_option ? hostingLabel({ hosting_option: r.hosting_option, deployment_type: r.deployment_type }) : '—'],
    ['Ingress region', r.ingress_region],
    ['Processing region', r.processing_region ?? '—'],
    ['Records rest in', `geography ${r.storage_geography}`],
    ['Status', `${r.status}${r.error_type ? ` (${r.error_type})` : ''}${r.stop_reason ? ` · stop: ${r.stop_reason}` : ''}`],
    ['Safeguards', r.safeguard_verdict],
    [
      'Tokens',
      `${formatNumber(r.input_tokens)} in · ${formatNumber(r.output_tokens)} out · ${formatNumber(r.cache_creation_input_tokens)} cache write · ${formatNumber(r.cache_read_input_tokens)} cache read`,
    ],
    ['Duration', `${r.duration_ms.toFixed(1)} ms${r.streamed ? ' (streamed)' : ''}`],
  ];
  if (r.processing_operator) {
    rows.splice(7, 0, ['Processed by', r.processing_operator === 'platform' ? 'the operator (platform)' : `publisher ${r.processing_operator}`]);
  }
  if (r.attempts && r.attempts.length > 1) {
    rows.push(['Failover path', r.attempts.map((a) => `${a.backend} in ${a.region}: ${a.outcome}`).join(' → ')]);
  }
  if (r.log) {
    rows.push([
      'Receipt log',
      `leaf ${r.log.leaf_index} of ${r.log.log_id}, under its tree head of size ${r.log.tree_head.tree_size} signed ${r.log.tree_head.signature.algorithm}, key ${r.log.tree_head.signature.key_id}`,
    ]);
  }
  if (r.signature) {
    rows.push(['Signature', `${r.signature.algorithm}, key ${r.signature.key_id} (signed before the receipt log)`]);
  }
  if (r.content_recipients) {
    rows.push([
      'Content received by',
      r.content_recipients.length === 0
        ? 'no one'
        : r.content_recipients
            .map((c) => (c.via === 'processing' ? `${partyWords(c.party)} (processing)` : `${partyWords(c.party)} (${(c.roles ?? []).join(', ')} opened its case)`))
            .join(' · '),
    ]);
  }
  return (
    <article class="card receipt" aria-label={`Receipt ${r.request_id}`} data-receipt={r.request_id}>
      {verdict && <Notice tone={verdict.ok ? 'success' : 'warning'}>{verdict.text}</Notice>}
      <dl class="facts">
        {rows.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd data-field={k}>{v}</dd>
          </Fragment>
        ))}
      </dl>
      {r.access && r.access.length > 0 && (
        <table class="access-records" aria-label="Access records">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">At</th>
              <th scope="col">What</th>
              <th scope="col">Who</th>
              <th scope="col">Why</th>
              <th scope="col">Receipt log</th>
            </tr>
          </thead>
          <tbody>
            {r.access.map((a) => (
              <tr key={a.seq} data-access={a.seq}>
                <td>{a.seq}</td>
                <td>{formatTime(a.at)}</td>
                <td>{a.content ? `${a.event} (read the content)` : a.event}</td>
                <td>{`${a.actor.role ?? 'someone'} of ${partyWords(a.actor.organisation ?? 'unknown')}`}</td>
                <td>{a.reason_code ?? '—'}</td>
                <td>{a.log ? `leaf ${a.log.leaf_index}, tree head ${a.log.tree_head.tree_size}` : 'not yet in the log'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deployment && estate && (
        <BoundaryPicture world={estate.world} choice={{ region: deployment.region, hosting: deployment.hosting_option, type: deployment.deployment_type }} />
      )}
    </article>
  );
}
