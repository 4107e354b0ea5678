// The dashboard: per-source success rate and average download time over time (charts), totals
// per source, and every source's configuration and health.
import { api } from './api.ts';
import { h, pill, replaceChildren } from './dom.ts';
import { formatDuration, formatPercent, formatTime, humanizeId } from './format.ts';
import { PALETTE, lineChart } from './line-chart.ts';
import type { SourceInfo, StatsReport } from './types.ts';

const RANGES: [string, string][] = [
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
];

export function dashboardView(notify: (message: string, kind?: 'info' | 'error') => void): HTMLElement {
  const range = h('select', { attrs: { id: 'stats-range' } }, ...RANGES.map(([value, label]) => h('option', { attrs: { value, selected: value === '24h' } }, label)));
  const charts = h('div', { class: 'charts' });
  const legend = h('ul', { class: 'legend', attrs: { 'aria-label': 'Sources' } });
  const totals = h('tbody');
  const health = h('tbody');

  async function load(): Promise<void> {
    try {
      const [stats, sources] = await Promise.all([api.stats(range.value), api.sources()]);
      render(stats, sources.sources);
    } catch (error) {
      notify(error instanceof Error ? error.message : 'cannot load the statistics', 'error');
    }
  }

  function render(stats: StatsReport, sources: SourceInfo[]): void {
    charts.dataset.range = stats.range;
    const names = new Map(sources.map((s) => [s.id, s.name]));
    const colors = new Map(stats.sources.map((s, i) => [s.source, PALETTE[i % PALETTE.length]!]));
    const buckets = stats.sources[0]?.buckets.map((b) => b.start) ?? [];
    const short = stats.bucket_ms < 86_400_000;
    const formatX = (iso: string): string => {
      const d = new Date(iso);
      return short ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
    };
    const name = (id: string): string => names.get(id) ?? humanizeId(id);
    replaceChildren(
      charts,
      h(
        'figure',
        { class: 'chart-card' },
        h('figcaption', null, 'Success rate'),
        lineChart({
          title: 'Success rate per source over time',
          series: stats.sources.map((s) => ({ name: name(s.source), color: colors.get(s.source)!, values: s.buckets.map((b) => b.success_rate) })),
          buckets,
          yMax: 1,
          formatY: (v) => formatPercent(v),
          formatX,
        }),
      ),
      h(
        'figure',
        { class: 'chart-card' },
        h('figcaption', null, 'Average download time per file'),
        lineChart({
          title: 'Average download time per source over time',
          series: stats.sources.map((s) => ({ name: name(s.source), color: colors.get(s.source)!, values: s.buckets.map((b) => b.avg_download_ms) })),
          buckets,
          formatY: (v) => formatDuration(v),
          formatX,
        }),
      ),
      h(
        'figure',
        { class: 'chart-card' },
        h('figcaption', null, 'Failed runs'),
        lineChart({
          title: 'Failed source runs over time',
          series: stats.sources.map((s) => ({ name: name(s.source), color: colors.get(s.source)!, values: s.buckets.map((b) => (b.runs > 0 ? b.failures : null)) })),
          buckets,
          integer: true,
          formatY: (v) => String(v),
          formatX,
        }),
      ),
    );
    replaceChildren(
      legend,
      ...stats.sources.map((s) => {
        const swatch = h('span', { class: 'swatch' });
        swatch.style.background = colors.get(s.source)!;
        return h('li', null, swatch, name(s.source));
      }),
    );
    if (stats.sources.length === 0) replaceChildren(legend, h('li', { class: 'muted' }, 'No source has run in this period.'));
    replaceChildren(
      totals,
      ...stats.sources.map((s) =>
        h(
          'tr',
          null,
          h('th', { attrs: { scope: 'row' } }, name(s.source)),
          h('td', { class: 'num' }, s.runs),
          h('td', { class: 'num' }, formatPercent(s.success_rate)),
          h('td', { class: 'num' }, s.failures),
          h('td', { class: 'num' }, s.downloaded),
          h('td', { class: 'num' }, formatDuration(s.avg_download_ms)),
          h('td', { class: 'error-cell' }, s.last_error ?? ''),
        ),
      ),
    );
    replaceChildren(
      health,
      ...sources.map((s) =>
        h(
          'tr',
          null,
          h('th', { attrs: { scope: 'row' } }, s.name),
          h('td', null, pill(s.state, s.state.replace('_', ' '))),
          h('td', null, s.kinds.join(', ')),
          h('td', null, s.key_variable ?? '—'),
          h('td', { class: 'num' }, formatPercent(s.health.success_rate)),
          h('td', { class: 'num' }, formatDuration(s.health.avg_download_ms)),
          h('td', null, s.health.cooling_until ? formatTime(s.health.cooling_until) : '—'),
          h('td', { class: 'origin-cell', attrs: { title: s.origin } }, s.origin),
          h('td', { class: 'error-cell' }, s.health.last_error ?? ''),
        ),
      ),
    );
  }

  range.addEventListener('change', () => void load());
  void load();

  const headRow = (titles: string[]): HTMLTableSectionElement =>
    h('thead', null, h('tr', null, ...titles.map((t) => h('th', { attrs: { scope: 'col' } }, t))));
  return h(
    'div',
    { class: 'dashboard' },
    h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'dashboard-title' } },
      h('div', { class: 'section-head' }, h('h2', { attrs: { id: 'dashboard-title' } }, 'Source performance'), h('div', { class: 'field inline' }, h('label', { attrs: { for: 'stats-range' } }, 'Period'), range)),
      legend,
      charts,
      h('div', { class: 'table-wrap' }, h('table', null, headRow(['Source', 'Runs', 'Success', 'Failed runs', 'Files', 'Avg download', 'Last error']), totals)),
    ),
    h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'health-title' } },
      h('h2', { attrs: { id: 'health-title' } }, 'Sources'),
      h(
        'div',
        { class: 'table-wrap' },
        h('table', null, headRow(['Source', 'State', 'Kinds', 'Key', 'Success', 'Avg download', 'Cooling until', 'Origin', 'Last error']), health),
      ),
    ),
  );
}
