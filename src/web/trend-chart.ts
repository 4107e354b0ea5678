// One source's runs over time as a small bar chart (inline SVG, no chart library): a bar per
// period, successful runs solid and failed runs hatched on top, on a scale shared by every
// source so that charts side by side compare. Each source gets its own chart, so no series can
// hide another however many sources there are. The figures of a period are shown as text under
// the chart on hover, and by keyboard: the chart takes the focus and ← → move between periods.
import { h, svg } from './dom.ts';
import type { StatsBucket } from './types.ts';

export interface TrendChartOptions {
  /** The source's display name. */
  name: string;
  buckets: StatsBucket[];
  /** The top of the runs axis, shared by the charts being compared. */
  maxRuns: number;
  formatPeriod(iso: string): string;
  describe(bucket: StatsBucket): string;
}

const WIDTH = 320;
const HEIGHT = 96;
const PAD = { top: 6, right: 4, bottom: 18, left: 26 };

export function trendChart(options: TrendChartOptions): HTMLElement {
  const { buckets, maxRuns } = options;
  const count = Math.max(1, buckets.length);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / count;
  const barW = Math.max(1, slot * 0.7);
  const yMax = Math.max(1, maxRuns);
  const y = (runs: number): number => PAD.top + plotH - (runs / yMax) * plotH;
  const used = buckets.filter((b) => b.runs > 0);
  const runs = used.reduce((n, b) => n + b.runs, 0);
  const failures = used.reduce((n, b) => n + b.failures, 0);

  const tip = h('p', { class: 'chart-tip', attrs: { 'aria-live': 'polite' } });
  const idleTip =
    used.length > 0 ? 'Point at a bar, or focus the chart and use ← →, for that period.' : 'No runs in this period.';
  tip.textContent = idleTip;
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'chart',
    role: 'img',
    tabindex: 0,
    'aria-label': `${options.name}: ${runs} run${runs === 1 ? '' : 's'}, ${failures} failed (bar chart, one bar per time slot)`,
    'data-source': options.name,
  });
  for (const value of [0, yMax]) {
    chart.append(
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: 'chart-grid' }),
      svg('text', { x: PAD.left - 4, y: y(value) + 4, 'text-anchor': 'end', class: 'chart-label' }, String(value)),
    );
  }
  const labelAt = [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1].filter(
    (v, i, a) => v >= 0 && a.indexOf(v) === i,
  );
  for (const i of labelAt) {
    const anchor = i === 0 ? 'start' : i === buckets.length - 1 ? 'end' : 'middle';
    const x = anchor === 'start' ? PAD.left : anchor === 'end' ? WIDTH - PAD.right : PAD.left + slot * (i + 0.5);
    chart.append(
      svg(
        'text',
        { x, y: HEIGHT - 4, 'text-anchor': anchor, class: 'chart-label' },
        options.formatPeriod(buckets[i]!.start),
      ),
    );
  }
  const bars: SVGGElement[] = [];
  buckets.forEach((bucket, i) => {
    const x = PAD.left + slot * i + (slot - barW) / 2;
    const group = svg('g', { class: 'chart-bar', 'data-runs': bucket.runs, 'data-failures': bucket.failures });
    const text = `${options.formatPeriod(bucket.start)}: ${options.describe(bucket)}`;
    group.append(svg('title', {}, text));
    // A transparent full-height hit area: thin or empty bars are still easy to point at.
    group.append(svg('rect', { x: PAD.left + slot * i, y: PAD.top, width: slot, height: plotH, fill: 'transparent' }));
    const ok = bucket.runs - bucket.failures;
    if (ok > 0) group.append(svg('rect', { x, y: y(ok), width: barW, height: y(0) - y(ok), class: 'chart-ok' }));
    if (bucket.failures > 0)
      group.append(
        svg('rect', { x, y: y(bucket.runs), width: barW, height: y(ok) - y(bucket.runs), class: 'chart-failed' }),
      );
    group.addEventListener('pointerenter', () => (tip.textContent = text));
    bars.push(group);
    chart.append(group);
  });
  chart.addEventListener('pointerleave', () => (tip.textContent = idleTip));

  // Keyboard: ← → step through the periods (starting from the latest with runs).
  let selected = -1;
  chart.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight' && event.key !== 'Home' && event.key !== 'End') return;
    event.preventDefault();
    if (buckets.length === 0) return;
    if (selected < 0)
      selected = Math.max(
        0,
        buckets.findLastIndex((b) => b.runs > 0),
      );
    else if (event.key === 'ArrowLeft') selected = Math.max(0, selected - 1);
    else if (event.key === 'ArrowRight') selected = Math.min(buckets.length - 1, selected + 1);
    if (event.key === 'Home') selected = 0;
    if (event.key === 'End') selected = buckets.length - 1;
    bars.forEach((bar, i) => bar.classList.toggle('selected', i === selected));
    tip.textContent = `${options.formatPeriod(buckets[selected]!.start)}: ${options.describe(buckets[selected]!)}`;
  });
  return h('div', null, chart, tip);
}
