// A small line chart drawn as inline SVG (no chart library): one line per series over equal
// time buckets, with gaps where a bucket has no value, a y axis with gridlines, and a tooltip
// (<title>) on every point.
import { svg } from './dom.ts';

export interface Series {
  name: string;
  color: string;
  /** One value per bucket; null where there is nothing to show. */
  values: (number | null)[];
}

export interface LineChartOptions {
  title: string;
  series: Series[];
  /** Start of each bucket, ISO-8601. */
  buckets: string[];
  /** Fixed top of the y axis (e.g. 1 for a rate); default: the largest value, rounded up. */
  yMax?: number;
  /** Values are counts: the axis gets whole-number ticks. */
  integer?: boolean;
  formatY(value: number): string;
  formatX(iso: string): string;
}

const WIDTH = 520;
const HEIGHT = 220;
const PAD = { top: 16, right: 16, bottom: 28, left: 56 };

function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

export function lineChart(options: LineChartOptions): SVGSVGElement {
  const count = options.buckets.length;
  const all = options.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = Math.max(0, ...all);
  // Four gridline steps: counts get a top that is a multiple of 4, so every tick is whole.
  const yMax = options.yMax ?? (options.integer ? Math.max(4, Math.ceil(top / 4) * 4) : niceCeiling(top));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number): number => PAD.left + (count <= 1 ? plotW / 2 : (i / (count - 1)) * plotW);
  const y = (v: number): number => PAD.top + plotH - (Math.min(v, yMax) / yMax) * plotH;

  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': options.title });
  chart.append(svg('title', {}, options.title));

  for (let i = 0; i <= 4; i++) {
    const value = (yMax * i) / 4;
    const gy = y(value);
    chart.append(
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: gy, y2: gy, class: 'chart-grid' }),
      svg('text', { x: PAD.left - 8, y: gy + 4, 'text-anchor': 'end', class: 'chart-label' }, options.formatY(value)),
    );
  }
  const ticks = Math.min(6, count);
  for (let t = 0; t < ticks; t++) {
    const i = ticks <= 1 ? 0 : Math.round((t / (ticks - 1)) * (count - 1));
    const iso = options.buckets[i];
    if (iso === undefined) continue;
    // The outermost labels are anchored inwards so that they are not cut at the edges.
    const anchor = ticks > 1 && t === ticks - 1 ? 'end' : 'middle';
    chart.append(svg('text', { x: anchor === 'end' ? WIDTH - PAD.right : x(i), y: HEIGHT - 8, 'text-anchor': anchor, class: 'chart-label' }, options.formatX(iso)));
  }

  for (const series of options.series) {
    const group = svg('g', { class: 'chart-series', 'data-series': series.name });
    let segment: string[] = [];
    const flush = (): void => {
      if (segment.length > 1) group.append(svg('polyline', { points: segment.join(' '), fill: 'none', stroke: series.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
      segment = [];
    };
    series.values.forEach((value, i) => {
      if (value === null) {
        flush();
        return;
      }
      segment.push(`${x(i).toFixed(1)},${y(value).toFixed(1)}`);
      const dot = svg('circle', { cx: x(i).toFixed(1), cy: y(value).toFixed(1), r: 3.5, fill: series.color });
      dot.append(svg('title', {}, `${series.name} · ${options.formatX(options.buckets[i] ?? '')}: ${options.formatY(value)}`));
      group.append(dot);
    });
    flush();
    chart.append(group);
  }
  if (all.length === 0) {
    chart.append(svg('text', { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'no runs in this period'));
  }
  return chart;
}

/** Distinct colours that read on light and dark backgrounds. */
export const PALETTE = ['#4f46e5', '#0891b2', '#16a34a', '#ea580c', '#db2777', '#9333ea', '#ca8a04', '#0d9488', '#dc2626', '#64748b', '#2563eb'];
