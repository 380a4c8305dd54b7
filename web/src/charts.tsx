import { useId } from './ui';

// SVG charts drawn here rather than by a library: two chart shapes are all the portal needs, and a charting package
// would outweigh the rest of the app. Each chart is an image with a text alternative (role="img", a caption and a
// one-line summary) and comes with its numbers as a table, so nothing is only visible as a shape or a colour.

export interface Series {
  key: string;
  label: string;
}

/** How many colours the stylesheet defines (.series-0 … .series-7); further series reuse them in order. */
const palette = 8;

export function seriesClass(index: number): string {
  return `series-${index % palette}`;
}

/** A ceiling for the axis: 1, 2, 2.5 or 5 times a power of ten, so gridlines fall on round numbers. */
function niceMax(value: number): number {
  if (value <= 0) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

export function Legend({ series, label }: { series: Series[]; label: string }) {
  return (
    <ul class="legend" aria-label={label}>
      {series.map((s, i) => (
        <li key={s.key}>
          <span class={`swatch ${seriesClass(i)}`} aria-hidden="true" />
          {s.label}
        </li>
      ))}
    </ul>
  );
}

interface StackedColumnsProps {
  caption: string;
  /** The x axis, in order (e.g. every day of a month), including those without a value. */
  columns: string[];
  /** How a column is written under the axis and in tooltips. */
  columnLabel: (column: string) => string;
  series: Series[];
  value: (column: string, series: string) => number;
  format: (value: number) => string;
  class?: string;
}

/** Columns (one per x value) stacked by series, with a y axis of four round gridlines. */
export function StackedColumns(props: StackedColumnsProps) {
  const captionId = useId('chart-caption');
  const descriptionId = useId('chart-desc');
  const { columns, series, value } = props;
  const totals = columns.map((c) => series.reduce((sum, s) => sum + value(c, s.key), 0));
  const max = niceMax(Math.max(0, ...totals));
  const width = 760;
  const height = 260;
  const left = 64;
  const bottom = 28;
  const top = 10;
  const plotHeight = height - top - bottom;
  const slot = (width - left - 8) / Math.max(1, columns.length);
  const bar = Math.max(2, slot * 0.7);
  const y = (v: number) => top + plotHeight - (v / max) * plotHeight;
  const busiest = totals.reduce((best, t, i) => (t > totals[best] ? i : best), 0);
  const labelEvery = Math.ceil(columns.length / 16);
  const summary =
    totals.every((t) => t === 0)
      ? 'Nothing yet in this period.'
      : `Total ${props.format(totals.reduce((a, b) => a + b, 0))}; highest on ${props.columnLabel(columns[busiest])} with ${props.format(totals[busiest])}.`;
  return (
    <figure class={`chart svg-chart ${props.class ?? ''}`}>
      <figcaption id={captionId}>{props.caption}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={captionId} aria-describedby={descriptionId} focusable="false">
        <desc id={descriptionId}>{summary}</desc>
        {[0, 0.25, 0.5, 0.75, 1].map((f) => (
          <g key={f} class="grid">
            <line x1={left} x2={width} y1={y(max * f)} y2={y(max * f)} />
            <text x={left - 6} y={y(max * f) + 4} text-anchor="end">
              {props.format(max * f)}
            </text>
          </g>
        ))}
        {columns.map((c, i) => {
          const x = left + i * slot + (slot - bar) / 2;
          let base = 0;
          return (
            <g key={c} data-column={c}>
              {series.map((s, j) => {
                const v = value(c, s.key);
                if (v <= 0) {
                  return null;
                }
                const rect = (
                  <rect key={s.key} class={seriesClass(j)} data-series={s.key} x={x} width={bar} y={y(base + v)} height={Math.max(1, y(base) - y(base + v))}>
                    <title>{`${s.label}, ${props.columnLabel(c)}: ${props.format(v)}`}</title>
                  </rect>
                );
                base += v;
                return rect;
              })}
              {i % labelEvery === 0 && (
                <text class="axis-label" x={x + bar / 2} y={height - 8} text-anchor="middle">
                  {props.columnLabel(c)}
                </text>
              )}
            </g>
          );
        })}
        <line class="axis" x1={left} x2={width} y1={y(0)} y2={y(0)} />
      </svg>
    </figure>
  );
}

interface BarsProps {
  caption: string;
  rows: { key: string; label: string; value: number; seriesIndex: number }[];
  format: (value: number) => string;
  class?: string;
}

/** Horizontal bars, one per row, labelled with their value. */
export function Bars(props: BarsProps) {
  const captionId = useId('chart-caption');
  const max = Math.max(0, ...props.rows.map((r) => r.value));
  const width = 760;
  const row = 30;
  const labelWidth = 200;
  const valueWidth = 110;
  const height = Math.max(1, props.rows.length) * row + 4;
  const scale = (v: number) => (max > 0 ? (v / max) * (width - labelWidth - valueWidth) : 0);
  return (
    <figure class={`chart svg-chart ${props.class ?? ''}`}>
      <figcaption id={captionId}>{props.caption}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={captionId} focusable="false">
        <desc>{props.rows.map((r) => `${r.label}: ${props.format(r.value)}`).join('; ')}</desc>
        {props.rows.map((r, i) => (
          <g key={r.key} data-bar={r.key}>
            <text class="bar-label" x={labelWidth - 8} y={i * row + row / 2 + 5} text-anchor="end">
              {r.label.length > 26 ? `${r.label.slice(0, 25)}…` : r.label}
            </text>
            <rect class={seriesClass(r.seriesIndex)} x={labelWidth} y={i * row + 5} height={row - 10} width={Math.max(r.value > 0 ? 2 : 0, scale(r.value))}>
              <title>{`${r.label}: ${props.format(r.value)}`}</title>
            </rect>
            <text class="bar-value" x={labelWidth + scale(r.value) + 6} y={i * row + row / 2 + 5}>
              {props.format(r.value)}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
