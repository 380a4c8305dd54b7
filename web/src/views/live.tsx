import type { LiveInstrument, LiveMetrics, LiveSeries } from '../api';
import { Empty, formatNumber, formatTime } from '../ui';

// The live numbers of the operator's Backends view, read from GET /admin/v1/metrics: the same Meridian.Gateway
// instruments that Prometheus and OTLP receive, counted from when this node began being watched.

function instrument(metrics: LiveMetrics, name: string): LiveInstrument | undefined {
  return metrics.instruments.find((i) => i.name === name);
}

function total(metrics: LiveMetrics | undefined, name: string, where: (s: LiveSeries) => boolean = () => true): number {
  return (metrics && instrument(metrics, name)?.series.filter(where).reduce((sum, s) => sum + (s.value ?? 0), 0)) ?? 0;
}

/** Sums of an instrument's series grouped by one or more tags, largest first. */
function byTags(metrics: LiveMetrics, name: string, tags: string[]): { label: string; value: number }[] {
  const groups = new Map<string, number>();
  for (const s of instrument(metrics, name)?.series ?? []) {
    const label = tags.map((t) => s.tags[t] ?? '—').join(' · ');
    groups.set(label, (groups.get(label) ?? 0) + (s.value ?? 0));
  }
  return [...groups].map(([label, value]) => ({ label, value })).filter((g) => g.value > 0).sort((a, b) => b.value - a.value);
}

/**
 * The q-quantile of a histogram's series merged, as Prometheus's histogram_quantile reads it: the upper bound of the
 * bucket where the cumulative count reaches q of the total (null when nothing was recorded).
 */
export function quantile(metric: LiveInstrument | undefined, q: number): number | null {
  const series = metric?.series ?? [];
  const count = series.reduce((sum, s) => sum + (s.count ?? 0), 0);
  if (count === 0) {
    return null;
  }
  const bounds = series[0].buckets ?? [];
  for (let i = 0; i < bounds.length; i++) {
    const cumulative = series.reduce((sum, s) => sum + (s.buckets?.[i]?.count ?? 0), 0);
    if (cumulative >= q * count) {
      return bounds[i].le ?? Infinity;
    }
  }
  return Infinity;
}

function seconds(value: number | null): string {
  if (value === null) {
    return '—';
  }
  if (value === Infinity) {
    return 'above the largest bucket';
  }
  return value < 1 ? `≤ ${formatNumber(value * 1000)} ms` : `≤ ${formatNumber(value)} s`;
}

/** Requests per second between two readings, or null without an earlier one. */
function rate(now: LiveMetrics, before: LiveMetrics | undefined): number | null {
  if (!before || before.watching_since !== now.watching_since) {
    return null;
  }
  const elapsed = (Date.parse(now.at) - Date.parse(before.at)) / 1000;
  return elapsed > 0 ? (total(now, 'meridian.requests') - total(before, 'meridian.requests')) / elapsed : null;
}

const breakdowns: { name: string; tags: string[]; caption: string }[] = [
  { name: 'meridian.requests', tags: ['http.response.status_code'], caption: 'Requests by HTTP status' },
  { name: 'meridian.errors', tags: ['error.type'], caption: 'Errors by type' },
  { name: 'meridian.safeguard.verdicts', tags: ['category', 'action'], caption: 'Safeguard verdicts (category · action)' },
  { name: 'meridian.fail_closed.refusals', tags: ['reason'], caption: 'Refused rather than risked, by reason' },
  { name: 'meridian.quota.refusals', tags: ['limit'], caption: 'Quota and budget refusals, by limit' },
  { name: 'meridian.auth.failures', tags: ['credential', 'throttled'], caption: 'Failed sign-ins (credential · throttled)' },
  { name: 'meridian.records.queue_depth', tags: ['meridian.geography'], caption: 'Records waiting to be committed, by geography' },
];

export function LiveTraffic({ metrics, before }: { metrics: LiveMetrics; before: LiveMetrics | undefined }) {
  const perSecond = rate(metrics, before);
  const tokens = (type: string) => total(metrics, 'meridian.tokens', (s) => s.tags['gen_ai.token.type'] === type);
  const firstToken = instrument(metrics, 'gen_ai.server.time_to_first_token');
  const duration = instrument(metrics, 'gen_ai.server.request.duration');
  const rows = breakdowns.flatMap((b) => byTags(metrics, b.name, b.tags).map((g) => ({ ...g, caption: b.caption, key: `${b.name}:${g.label}` })));
  return (
    <section aria-labelledby="live-traffic" class="live-traffic">
      <h2 id="live-traffic">Traffic on this node</h2>
      <p class="hint">
        From this node's metrics (the series Prometheus scrapes), counted since {formatTime(metrics.watching_since)}, when this view began watching;
        the node stops counting {Math.round(metrics.idle_stop_seconds / 60)} minutes after the last look.
      </p>
      <dl class="stats" aria-label="Traffic on this node">
        <div>
          <dt>Requests</dt>
          <dd data-field="live-requests">{formatNumber(total(metrics, 'meridian.requests'))}</dd>
        </div>
        <div>
          <dt>Per second, last interval</dt>
          <dd data-field="live-rate">{perSecond === null ? '—' : formatNumber(Math.round(perSecond * 10) / 10)}</dd>
        </div>
        <div>
          <dt>Tokens in / out</dt>
          <dd data-field="live-tokens">
            {formatNumber(tokens('input'))} / {formatNumber(tokens('output'))}
          </dd>
        </div>
        <div>
          <dt>Time to first token, p50 / p95</dt>
          <dd data-field="live-ttft">
            {seconds(quantile(firstToken, 0.5))} / {seconds(quantile(firstToken, 0.95))}
          </dd>
        </div>
        <div>
          <dt>Duration, p50 / p95</dt>
          <dd data-field="live-duration">
            {seconds(quantile(duration, 0.5))} / {seconds(quantile(duration, 0.95))}
          </dd>
        </div>
      </dl>
      {rows.length === 0 ? (
        <Empty>No requests since this view began watching.</Empty>
      ) : (
        <div class="table-wrap" tabIndex={0}>
          <table class="live-breakdown">
            <caption>What the requests came to</caption>
            <thead>
              <tr>
                <th scope="col">Measure</th>
                <th scope="col">Which</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key} data-measure={r.key}>
                  <td>{r.caption}</td>
                  <td>
                    <code>{r.label}</code>
                  </td>
                  <td data-field="count">{formatNumber(r.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
