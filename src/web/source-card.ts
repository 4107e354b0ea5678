// One source's card in the job view, drawn in one place: its name and state, progress, counters,
// its deadline while running, and in words why it stopped, what it skipped and when it will be
// tried again (never only as colour, a tooltip or an ellipsis).
import { h, pill, replaceChildren } from './dom.ts';
import { formatDuration, localizeTimes, relativeAndLocal, withoutRetryAfter } from './format.ts';
import type { SourceView } from './job-state.ts';

export interface SourceCardContext {
  /** The source's display name. */
  name: string;
  /** Files per source the job asked for. */
  limit: number;
}

export function phaseLabel(view: SourceView): string {
  switch (view.phase) {
    case 'timeout':
      return 'timed out';
    case 'ok':
      return 'done';
    default:
      return view.phase;
  }
}

/** A link to another job, named by the start of its id. */
export function jobLink(id: string): HTMLAnchorElement {
  return h('a', { attrs: { href: `#/jobs/${encodeURIComponent(id)}`, 'data-job-link': id } }, `job ${id.slice(0, 8)}…`);
}

/** "job 3f2a…, job 9b1c…" as links. */
export function jobLinks(ids: readonly string[]): (HTMLElement | string)[] {
  return ids.flatMap((id, i) => (i === 0 ? [jobLink(id)] : [', ', jobLink(id)]));
}

/** Redraws `card` (an `<article>`) for the source's current state. */
export function renderSourceCard(card: HTMLElement, view: SourceView, ctx: SourceCardContext): void {
  card.dataset.phase = view.phase;
  const bar = h(
    'div',
    {
      class: 'progress',
      attrs: {
        role: 'progressbar',
        'aria-label': `${ctx.name}: files saved`,
        'aria-valuemin': 0,
        'aria-valuemax': ctx.limit,
        'aria-valuenow': view.downloaded,
      },
    },
    h('span'),
  );
  (bar.firstChild as HTMLElement).style.width =
    `${Math.min(100, (view.downloaded / Math.max(1, ctx.limit)) * 100).toFixed(1)}%`;
  const stats = view.stats;
  const notes: (HTMLElement | null)[] = [];
  if (stats && stats.skipped_existing > 0) {
    const jobs = stats.existing_jobs;
    notes.push(
      h(
        'p',
        { class: 'source-note', attrs: { 'data-note': 'existing' } },
        `${stats.skipped_existing} already saved`,
        ...(jobs.length > 0 ? [' by ', ...jobLinks(jobs)] : [' by an earlier job']),
        '.',
      ),
    );
  }
  if (stats && view.phase === 'skipped' && stats.retry_after) {
    notes.push(
      h(
        'p',
        { class: 'source-note', attrs: { 'data-note': 'retry' } },
        `Tried again ${relativeAndLocal(stats.retry_after)}.`,
      ),
    );
  }
  replaceChildren(
    card,
    h('header', null, h('h3', null, ctx.name), pill(view.phase, phaseLabel(view))),
    bar,
    h(
      'dl',
      { class: 'counters' },
      h('div', null, h('dt', null, 'saved'), h('dd', null, view.downloaded)),
      h('div', null, h('dt', null, 'found'), h('dd', null, view.found)),
      h('div', null, h('dt', null, 'failed'), h('dd', null, view.failed)),
      h('div', null, h('dt', null, 'retries'), h('dd', null, view.retries)),
    ),
    h(
      'div',
      { class: 'deadline' },
      h('div', { class: 'deadline-bar', attrs: { 'aria-hidden': 'true' } }, h('span')),
      h('span', { class: 'deadline-text' }),
    ),
    view.error
      ? h(
          'p',
          { class: 'source-error' },
          localizeTimes(view.phase === 'skipped' && stats?.retry_after ? withoutRetryAfter(view.error) : view.error),
        )
      : null,
    ...notes,
  );
  renderDeadline(card, view);
}

/** The deadline of a running source: a bar that fills up, and the same in words. */
export function renderDeadline(card: HTMLElement, view: SourceView): void {
  const deadline = card.querySelector<HTMLElement>('.deadline');
  if (!deadline) return;
  const running = view.phase === 'running' && view.startedAtMs !== null && view.timeoutMs !== null;
  deadline.hidden = !running;
  if (!running) return;
  const elapsed = Math.max(0, Date.now() - view.startedAtMs!);
  const fraction = Math.min(1, elapsed / view.timeoutMs!);
  (deadline.querySelector('.deadline-bar > span') as HTMLElement).style.width = `${(fraction * 100).toFixed(1)}%`;
  // Whole seconds: the text changes once a second rather than on every tick.
  deadline.querySelector('.deadline-text')!.textContent =
    `${formatDuration(Math.floor(elapsed / 1000) * 1000)} of its ${formatDuration(view.timeoutMs)} deadline`;
}
