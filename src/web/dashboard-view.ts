// The dashboard: per source, its runs over time (one small bar chart each, on a shared scale),
// totals per source, and every source's configuration and health.
import { api } from './api.ts';
import { h, pill, replaceChildren } from './dom.ts';
import { formatDuration, formatPercent, humanizeId, localizeTimes, relativeAndLocal } from './format.ts';
import { trendChart } from './trend-chart.ts';
import type { SourceInfo, StatsBucket, StatsReport } from './types.ts';

const RANGES: [string, string][] = [
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
];

const DAY_MS = 86_400_000;

function describeBucket(b: StatsBucket): string {
  if (b.runs === 0) return 'no runs';
  const parts = [
    `${b.runs} run${b.runs === 1 ? '' : 's'}`,
    `${b.runs - b.failures} ok`,
    `${b.failures} failed`,
    `${b.downloaded} files`,
  ];
  if (b.avg_download_ms !== null) parts.push(`${formatDuration(b.avg_download_ms)} per file`);
  return parts.join(', ');
}

export function dashboardView(notify: (message: string, kind?: 'info' | 'error') => void): HTMLElement {
  const range = h(
    'select',
    { attrs: { id: 'stats-range' } },
    ...RANGES.map(([value, label]) => h('option', { attrs: { value, selected: value === '7d' } }, label)),
  );
  const trends = h('ul', { class: 'trend-grid', attrs: { 'aria-label': 'Runs per source over time' } });
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
    trends.dataset.range = stats.range;
    const names = new Map(sources.map((s) => [s.id, s.name]));
    const name = (id: string): string => names.get(id) ?? humanizeId(id);
    const formatPeriod = (iso: string): string => {
      const d = new Date(iso);
      return stats.bucket_ms < DAY_MS
        ? d.toLocaleString(
            undefined,
            stats.bucket_ms < 3_600_000
              ? { hour: '2-digit', minute: '2-digit' }
              : { weekday: 'short', hour: '2-digit', minute: '2-digit' },
          )
        : d.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
    };
    const maxRuns = Math.max(1, ...stats.sources.flatMap((s) => s.buckets.map((b) => b.runs)));
    if (stats.sources.length === 0) {
      replaceChildren(trends, h('li', { class: 'muted' }, 'No source has run in this period.'));
    } else {
      replaceChildren(
        trends,
        ...stats.sources.map((s) =>
          h(
            'li',
            { class: 'trend', attrs: { 'data-source': s.source } },
            h('h3', null, name(s.source), h('span', { class: 'muted small' }, `${formatPercent(s.success_rate)} ok`)),
            h(
              'p',
              { class: 'trend-summary' },
              `${s.runs} runs · ${s.failures} failed · ${s.downloaded} files · ${formatDuration(s.avg_download_ms)} per file`,
            ),
            trendChart({ name: name(s.source), buckets: s.buckets, maxRuns, formatPeriod, describe: describeBucket }),
          ),
        ),
      );
    }
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
          h('td', { class: 'error-cell' }, s.last_error ? localizeTimes(s.last_error) : ''),
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
          h('td', null, s.health.cooling_until ? relativeAndLocal(s.health.cooling_until) : '—'),
          h('td', { class: 'origin-cell' }, s.origin),
          h('td', { class: 'error-cell' }, s.health.last_error ? localizeTimes(s.health.last_error) : ''),
        ),
      ),
    );
  }

  range.addEventListener('change', () => void load());
  void load();

  const headRow = (titles: string[]): HTMLTableSectionElement =>
    h('thead', null, h('tr', null, ...titles.map((t) => h('th', { attrs: { scope: 'col' } }, t))));
  // Focusable so that the keyboard can scroll a wide table; named apart from its section.
  const scrollBox = (label: string, table: HTMLElement): HTMLElement =>
    h('div', { class: 'table-wrap', attrs: { tabindex: 0, role: 'region', 'aria-label': label } }, table);
  return h(
    'div',
    { class: 'dashboard' },
    h('h1', { attrs: { id: 'dashboard-heading', tabindex: -1 } }, 'Dashboard'),
    h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'dashboard-title' } },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { attrs: { id: 'dashboard-title' } }, 'Source runs over time'),
        h('div', { class: 'field inline' }, h('label', { attrs: { for: 'stats-range' } }, 'Period'), range),
      ),
      h(
        'ul',
        { class: 'legend', attrs: { 'aria-label': 'Legend' } },
        h(
          'li',
          null,
          h('span', { class: 'swatch swatch-ok', attrs: { 'aria-hidden': 'true' } }),
          'successful runs (solid)',
        ),
        h(
          'li',
          null,
          h('span', { class: 'swatch swatch-failed', attrs: { 'aria-hidden': 'true' } }),
          'failed runs (hatched, on top)',
        ),
        h('li', { class: 'muted' }, 'every chart has the same scale'),
      ),
      trends,
      h('h2', { attrs: { id: 'totals-title' } }, 'Totals'),
      scrollBox(
        'Totals per source table',
        h(
          'table',
          null,
          headRow(['Source', 'Runs', 'Success', 'Failed runs', 'Files', 'Avg download', 'Last error']),
          totals,
        ),
      ),
    ),
    h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'health-title' } },
      h('h2', { attrs: { id: 'health-title' } }, 'Sources'),
      scrollBox(
        'Sources table',
        h(
          'table',
          null,
          headRow([
            'Source',
            'State',
            'Kinds',
            'Key',
            'Success',
            'Avg download',
            'Cooling until',
            'Origin',
            'Last error',
          ]),
          health,
        ),
      ),
    ),
  );
}
