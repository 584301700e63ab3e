// A stacked bar chart in plain SVG: one bar per period, one colour per series.

import * as fmt from "../format.ts";

export interface Series {
  key: string;
  label: string;
  color: string;
}

export interface Bar {
  label: string;
  values: Record<string, number>;
}

const WIDTH = 640;
const HEIGHT = 180;
const AXIS = 22; // room for the labels under the bars
const LEFT = 34; // room for the scale

/** A round top for the scale: 1, 2, 5, 10, 20, 50... */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

export function BarChart(props: { title: string; bars: Bar[]; series: Series[] }) {
  const totals = props.bars.map((b) => props.series.reduce((sum, s) => sum + (b.values[s.key] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const plot = HEIGHT - AXIS;
  const slot = (WIDTH - LEFT) / Math.max(1, props.bars.length);
  const barWidth = Math.max(2, slot * 0.7);
  const labelEvery = Math.ceil(props.bars.length / 8);
  const summary = props.series
    .map((s) => `${s.label} ${fmt.count(props.bars.reduce((sum, b) => sum + (b.values[s.key] ?? 0), 0))}`)
    .join(", ");
  return (
    <figure class="chart">
      <figcaption>
        <span>{props.title}</span>
        <span class="legend">
          {props.series.map((s) => (
            <span class="legend-item">
              <span class="swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${props.title}: ${summary}`}>
        {/* Counts are whole: a half-way line only where it is a whole number. */}
        {[0, 0.5, 1].filter((f) => Number.isInteger(top * f)).map((f) => {
          const y = plot - f * (plot - 8);
          return (
            <g class="grid">
              <line x1={LEFT} x2={WIDTH} y1={y} y2={y} />
              <text x={LEFT - 6} y={y + 4} text-anchor="end">
                {fmt.count(top * f)}
              </text>
            </g>
          );
        })}
        {props.bars.map((bar, i) => {
          let y = plot;
          const x = LEFT + i * slot + (slot - barWidth) / 2;
          const tip = `${bar.label}: ${props.series.map((s) => `${s.label} ${bar.values[s.key] ?? 0}`).join(", ")}`;
          return (
            <g class="bar">
              <title>{tip}</title>
              <rect x={LEFT + i * slot} y={0} width={slot} height={plot} fill="transparent" />
              {props.series.map((s) => {
                const value = bar.values[s.key] ?? 0;
                const h = (value / top) * (plot - 8);
                y -= h;
                return value > 0 ? <rect x={x} y={y} width={barWidth} height={h} rx={1.5} fill={s.color} /> : null;
              })}
              {i % labelEvery === 0 && (
                <text class="axis" x={x + barWidth / 2} y={HEIGHT - 6} text-anchor="middle">
                  {bar.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
