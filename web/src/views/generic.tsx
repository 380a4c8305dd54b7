import { Fragment } from 'preact';

// Renders JSON whose shape the portal does not model (an invoice or a boundary report from another gateway version):
// scalars as a definition list, lists of objects as tables, and a bar chart where rows pair a label with an amount.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const labelKeys = ['day', 'date', 'deployment_name', 'deployment', 'deployment_id', 'model', 'offer_id', 'name'];
const valueKeys = ['amount', 'total', 'cost', 'amount_usd', 'total_usd', 'subtotal', 'tokens', 'requests'];

function isScalar(value: Json): value is null | boolean | number | string {
  return value === null || typeof value !== 'object';
}

function text(value: Json): string {
  if (value === null) {
    return '—';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

function humanize(key: string): string {
  return key.replace(/_/g, ' ');
}

export function Generic({ value, title }: { value: unknown; title?: string }) {
  const json = value as Json;
  if (json && typeof json === 'object' && !Array.isArray(json) && Array.isArray(json.data)) {
    const rows = json.data;
    return rows.length === 0 ? <p class="empty">Nothing for this selection.</p> : <Rows rows={rows} title={title} />;
  }
  return <Value value={json} title={title} />;
}

function Value({ value, title }: { value: Json; title?: string | undefined }) {
  if (isScalar(value)) {
    return <p>{text(value)}</p>;
  }
  if (Array.isArray(value)) {
    return <Rows rows={value} title={title} />;
  }
  const entries = Object.entries(value);
  const scalars = entries.filter(([, v]) => isScalar(v));
  const nested = entries.filter(([, v]) => !isScalar(v));
  return (
    <div class="generic">
      {title && <h3>{title}</h3>}
      {scalars.length > 0 && (
        <dl class="facts">
          {scalars.map(([k, v]) => (
            <Fragment key={k}>
              <dt>{humanize(k)}</dt>
              <dd data-field={k}>{text(v)}</dd>
            </Fragment>
          ))}
        </dl>
      )}
      {nested.map(([k, v]) => (
        <Value key={k} value={v} title={humanize(k)} />
      ))}
    </div>
  );
}

function Rows({ rows, title }: { rows: Json[]; title?: string | undefined }) {
  const objects = rows.filter((r): r is { [key: string]: Json } => !!r && typeof r === 'object' && !Array.isArray(r));
  if (objects.length !== rows.length) {
    return (
      <ul>
        {rows.map((r, i) => (
          <li key={i}>{text(r)}</li>
        ))}
      </ul>
    );
  }
  if (objects.length === 1 && Object.values(objects[0]).some((v) => !isScalar(v))) {
    return <Value value={objects[0]} title={title} />;
  }
  const columns = [...new Set(objects.flatMap((o) => Object.keys(o)))];
  const labelKey = labelKeys.find((k) => columns.includes(k));
  const valueKey = valueKeys.find((k) => columns.includes(k) && objects.every((o) => o[k] === null || !Number.isNaN(Number(o[k]))));
  return (
    <div class="generic">
      {title && <h3>{title}</h3>}
      {labelKey && valueKey && objects.length > 1 && <BarChart rows={objects} labelKey={labelKey} valueKey={valueKey} />}
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c} scope="col">
                  {humanize(c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {objects.map((o, i) => (
              <tr key={i}>
                {columns.map((c) => (
                  <td key={c}>{o[c] === undefined ? '' : text(o[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Horizontal bars (plain elements, so the numbers are text for everyone), summed per label. */
export function BarChart({ rows, labelKey, valueKey, caption }: { rows: { [key: string]: Json }[]; labelKey: string; valueKey: string; caption?: string }) {
  const sums = new Map<string, number>();
  for (const row of rows) {
    const label = text(row[labelKey]);
    sums.set(label, (sums.get(label) ?? 0) + Number(row[valueKey] ?? 0));
  }
  const max = Math.max(...sums.values(), 0);
  return (
    <figure class="chart">
      <figcaption>{caption ?? `${humanize(valueKey)} per ${humanize(labelKey)}`}</figcaption>
      <ul>
        {[...sums].map(([label, value]) => (
          <li key={label}>
            <span class="chart-label">{label}</span>
            <span class="chart-bar" style={{ width: `${max > 0 ? Math.max(1, (value / max) * 100) : 0}%` }} aria-hidden="true" />
            <span class="chart-value">{Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
