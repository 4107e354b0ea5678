// Job history: every job, newest first, filterable by status, a page at a time.
import { api } from './api.ts';
import { h, pill, replaceChildren } from './dom.ts';
import { formatTime, localDateTime, relativeTime } from './format.ts';
import type { JobSummary } from './types.ts';

const STATUSES = ['', 'queued', 'running', 'completed', 'partial', 'failed', 'cancelled', 'interrupted'];
const PAGE = 25;

export function historyView(notify: (message: string, kind?: 'info' | 'error') => void): HTMLElement {
  const status = h(
    'select',
    { attrs: { id: 'history-status' } },
    ...STATUSES.map((s) => h('option', { attrs: { value: s } }, s === '' ? 'any status' : s)),
  );
  const body = h('tbody');
  const more = h(
    'button',
    { class: 'button ghost', attrs: { type: 'button' }, on: { click: () => void load(false) } },
    'Load more',
  );
  const empty = h('p', { class: 'muted', attrs: { hidden: true } }, 'No jobs yet. Start one from Search.');
  let offset: number | null = 0;

  async function load(reset: boolean): Promise<void> {
    if (reset) {
      offset = 0;
      replaceChildren(body);
    }
    if (offset === null) return;
    try {
      const page = await api.listJobs({ status: status.value || undefined, limit: PAGE, offset });
      body.append(...page.jobs.map(row));
      offset = page.next_offset;
      more.hidden = offset === null;
      empty.hidden = body.children.length > 0;
    } catch (error) {
      notify(error instanceof Error ? error.message : 'cannot load the history', 'error');
    }
  }
  status.addEventListener('change', () => void load(true));
  void load(true);

  return h(
    'section',
    { class: 'card', attrs: { 'aria-labelledby': 'history-title' } },
    h(
      'div',
      { class: 'section-head' },
      h('h1', { attrs: { id: 'history-title', tabindex: -1 } }, 'Job history'),
      h('div', { class: 'field inline' }, h('label', { attrs: { for: 'history-status' } }, 'Status'), status),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'history-table', attrs: { 'aria-labelledby': 'history-title' } },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ...['Query', 'Status', 'Sources', 'Saved', 'Started', 'Finished'].map((t) =>
              h('th', { attrs: { scope: 'col' } }, t),
            ),
          ),
        ),
        body,
      ),
    ),
    empty,
    h('div', { class: 'center' }, more),
  );
}

function row(job: JobSummary): HTMLTableRowElement {
  const link = h('a', { attrs: { href: `#/jobs/${encodeURIComponent(job.job_id)}` } }, job.query);
  return h(
    'tr',
    { attrs: { 'data-job-id': job.job_id } },
    h('th', { attrs: { scope: 'row' } }, link),
    h('td', { attrs: { 'data-label': 'Status' } }, pill(job.status)),
    h(
      'td',
      { class: 'num', attrs: { 'data-label': 'Sources' } },
      h('span', null, String(job.sources.length), h('span', { class: 'sr-only' }, `: ${job.sources.join(', ')}`)),
    ),
    h('td', { class: 'num', attrs: { 'data-label': 'Saved' } }, job.downloaded),
    h(
      'td',
      { attrs: { 'data-label': 'Started' } },
      h(
        'time',
        { attrs: { datetime: job.created_at, title: localDateTime(job.created_at) } },
        relativeTime(job.created_at),
      ),
    ),
    h(
      'td',
      { attrs: { 'data-label': 'Finished' } },
      job.finished_at ? h('time', { attrs: { datetime: job.finished_at } }, formatTime(job.finished_at)) : '–',
    ),
  );
}
