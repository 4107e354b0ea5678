// The live job view: per-source cards (state, progress, deadline, error), thumbnails of saved
// files as they land, the per-source statistics table and recent problems — fed by the job's
// event stream (EventSource, which reconnects by itself with Last-Event-ID). What a listener
// needs to follow the job is announced (rate-limited); the header's parts are updated in place
// so that the focus is never thrown away by a re-render.
import { announce, announceError } from './announcer.ts';
import { ApiError, api } from './api.ts';
import { h, pill, replaceChildren } from './dom.ts';
import {
  formatBytes,
  formatDuration,
  formatTime,
  humanizeId,
  localizeTimes,
  relativeAndLocal,
  relativeTime,
  withoutRetryAfter,
} from './format.ts';
import { applyEvent, applyFiles, isActive, stateFromDocument, type Change, type JobState } from './job-state.ts';
import { jobLinks, phaseLabel, renderDeadline, renderSourceCard } from './source-card.ts';
import type { JobDocument, RunnerEvent, SavedFile } from './types.ts';

/** Files asked for at once when a big job's list is paged in. */
const FILES_PAGE = 500;
/** A running count of saved files is announced every this many files. */
const ANNOUNCE_FILES_EVERY = 10;

/** Per-query rows drawn in the table; a 1,000-query job lists the rest in its document. */
const QUERY_ROWS = 200;
/** How often a running several-query job's per-query figures are fetched again, ms. */
const QUERY_REFRESH_MS = 2000;

const REASON_LABELS: Record<string, string> = {
  min_width: 'too narrow',
  min_height: 'too low',
  orientation: 'wrong orientation',
  license: 'licence',
};

/** `too narrow 2, licence 1`: the filters that removed pictures, and how many each. */
function reasonsText(reasons: Record<string, number> | undefined): string {
  return Object.entries(reasons ?? {})
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${REASON_LABELS[k] ?? k} ${n}`)
    .join(', ');
}

const QUERY_COLUMNS = ['Query', 'Saved', 'Filtered', 'Near-duplicates', 'Failed sources'];
const SOURCE_COLUMNS = [
  'Source',
  'Status',
  'Saved',
  'Found',
  'Failed',
  'Duplicates',
  'Already saved',
  'Filtered',
  'Near-duplicates',
  'Bytes',
  'Time',
  'Retries',
  'Error',
];

/** A table in a focusable region that scrolls sideways on a narrow screen. */
function statsTable(label: string, className: string, columns: string[], body: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', attrs: { tabindex: 0, role: 'region', 'aria-label': label } },
    h(
      'table',
      { class: className },
      h('thead', null, h('tr', null, ...columns.map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
      body,
    ),
  );
}

const EVENT_TYPES = [
  'job_started',
  'source_started',
  'candidate_found',
  'file_saved',
  'file_failed',
  'retry',
  'source_finished',
  'job_finished',
] as const;

export interface JobViewOptions {
  /** Display names of sources, by id. */
  sourceNames: Map<string, string>;
  /** Shows a transient message. */
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Names the job in the document title: its query and status. */
  setTitle(query: string, status: string): void;
  /** The job was started from this page a moment ago: everything it does is news. */
  fresh?: boolean;
}

export class JobView {
  readonly root: HTMLElement;
  private state: JobState | null = null;
  private source: EventSource | null = null;
  private tick: number | null = null;
  private readonly title = h('h1', { attrs: { id: 'job-title', tabindex: -1 } }, 'Job');
  private readonly meta = h('p', { class: 'muted small' });
  private readonly statusPill = h('span');
  private readonly statusBox: HTMLElement;
  private readonly actions = h('div', { class: 'job-actions' });
  /** What the action buttons were drawn for, so they are replaced only when that changes. */
  private actionsKey = '';
  private readonly outcome = h('div', { class: 'outcome', attrs: { hidden: true } });
  private readonly progressBar = h(
    'div',
    { class: 'progress big', attrs: { role: 'progressbar', 'aria-label': 'Files saved', 'aria-valuemin': 0 } },
    h('span'),
  );
  private readonly progressText = h('span', { class: 'muted small' });
  private readonly loadError = h('p', { class: 'error-text', attrs: { hidden: true } });
  private readonly sourceGrid = h('div', { class: 'source-grid' });
  private readonly sourceCards = new Map<string, HTMLElement>();
  private readonly thumbs = h('div', { class: 'thumb-grid' });
  private readonly thumbCount = h('span', { class: 'muted' });
  /** Indexes of the files whose thumbnail is on the page. */
  private readonly shown = new Set<number>();
  private readonly statsBody = h('tbody');
  private readonly queryBody = h('tbody');
  private readonly queryNote = h('p', { class: 'muted small' });
  private readonly queryPanel = h(
    'section',
    { class: 'panel', attrs: { 'aria-labelledby': 'queries-title', hidden: true } },
    h('h2', { attrs: { id: 'queries-title' } }, 'Per-query results'),
    statsTable('Per-query results table', 'stats-table query-table', QUERY_COLUMNS, this.queryBody),
    this.queryNote,
  );
  /** A pending refetch of the document for fresh per-query figures (at most one every QUERY_REFRESH_MS). */
  private queryRefresh: number | null = null;
  private readonly activityList = h('ul', {
    class: 'activity',
    attrs: { tabindex: 0, 'aria-labelledby': 'activity-title' },
  });
  private readonly connection = h('span', { class: 'connection muted' });
  /** What had already happened when the view opened: replayed events of it are not announced. */
  private known = { files: 0, sources: new Set<string>(), finished: false };
  private lastTitle = '';

  constructor(
    private readonly jobId: string,
    private readonly options: JobViewOptions,
  ) {
    this.statusBox = h(
      'div',
      { class: 'job-status', attrs: { id: 'job-status', tabindex: -1, role: 'group', 'aria-label': 'Job status' } },
      this.statusPill,
      this.connection,
      this.actions,
    );
    this.root = h(
      'section',
      { class: 'card job-view', attrs: { 'aria-labelledby': 'job-title', 'data-job-id': jobId } },
      h('div', { class: 'job-title-row' }, h('div', null, this.title, this.meta), this.statusBox),
      this.loadError,
      h('div', { class: 'job-progress' }, this.progressBar, this.progressText),
      this.outcome,
      h(
        'section',
        { attrs: { 'aria-labelledby': 'sources-title' } },
        h('h2', { class: 'sr-only', attrs: { id: 'sources-title' } }, 'Sources'),
        this.sourceGrid,
      ),
      h(
        'div',
        { class: 'job-columns' },
        h(
          'section',
          { class: 'panel', attrs: { 'aria-labelledby': 'files-title' } },
          h('h2', { attrs: { id: 'files-title' } }, 'Saved files ', this.thumbCount),
          this.thumbs,
        ),
        h(
          'section',
          { class: 'panel', attrs: { 'aria-labelledby': 'activity-title' } },
          h('h2', { attrs: { id: 'activity-title' } }, 'Activity'),
          this.activityList,
        ),
      ),
      this.queryPanel,
      h(
        'section',
        { class: 'panel', attrs: { 'aria-labelledby': 'stats-title' } },
        h('h2', { attrs: { id: 'stats-title' } }, 'Per-source statistics'),
        statsTable('Per-source statistics table', 'stats-table', SOURCE_COLUMNS, this.statsBody),
      ),
    );
  }

  async start(): Promise<void> {
    this.progressText.textContent = 'Loading the job…';
    let doc: JobDocument;
    try {
      doc = await api.job(this.jobId);
    } catch (error) {
      const message = error instanceof ApiError ? error.message : 'cannot load the job';
      this.title.textContent = 'Job not available';
      this.loadError.textContent = message;
      this.loadError.hidden = false;
      this.progressText.textContent = '';
      announceError(message);
      this.options.setTitle('job not available', '');
      return;
    }
    if (!this.options.fresh)
      this.known = {
        files: doc.results.files_total ?? doc.results.files.length,
        sources: new Set(
          Object.entries(doc.results.source_stats)
            .filter(([, st]) => st.status !== 'pending' && st.status !== 'running')
            .map(([id]) => id),
        ),
        finished: !isActive(doc.status),
      };
    // Everything is rebuilt from the job's events, which the stream replays from the start (an
    // ended job's final `job_finished` carries its whole document, whatever came before).
    this.state = stateFromDocument(doc);
    this.renderAll();
    this.connect(0);
    this.tick = window.setInterval(() => this.renderDeadlines(), 500);
    await this.loadMoreFiles(doc.results.files.length, doc.results.files_total ?? 0);
  }

  /**
   * The document lists a big job's first files only: the rest come page by page (their events
   * may be gone from the history), each page's thumbnails shown as it lands.
   */
  private async loadMoreFiles(from: number, total: number): Promise<void> {
    let offset: number | null = from < total ? from : null;
    while (offset !== null && this.state !== null && this.tick !== null) {
      let page: Awaited<ReturnType<typeof api.jobFiles>>;
      try {
        page = await api.jobFiles(this.jobId, offset, FILES_PAGE);
      } catch {
        return; // the event stream still brings what it replays
      }
      if (this.tick === null) return; // the view was left meanwhile
      this.apply({ header: true, files: applyFiles(this.state, offset, page.files) });
      offset = page.next_offset;
    }
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.tick !== null) window.clearInterval(this.tick);
    this.tick = null;
    if (this.queryRefresh !== null) window.clearTimeout(this.queryRefresh);
    this.queryRefresh = null;
  }

  /** Opens the event stream after `afterSeq` (0: from the job's start). */
  private connect(afterSeq: number): void {
    this.source?.close();
    const url = api.eventsUrl(this.jobId);
    const source = new EventSource(afterSeq > 0 ? `${url}${url.includes('?') ? '&' : '?'}after=${afterSeq}` : url);
    this.source = source;
    const onMessage = (message: MessageEvent<string>): void => {
      let event: RunnerEvent;
      try {
        event = JSON.parse(message.data) as RunnerEvent;
      } catch {
        return;
      }
      this.onEvent(event);
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, onMessage as EventListener);
    source.addEventListener('open', () => this.setConnection('live'));
    source.addEventListener('error', () => {
      if (this.state?.finished || source.readyState === EventSource.CLOSED) {
        source.close();
        this.setConnection(this.state?.finished ? '' : 'disconnected');
        if (!this.state?.finished) announceError('Lost the connection to the job: reload the page to follow it.');
      } else {
        this.setConnection('reconnecting…');
      }
    });
  }

  private setConnection(text: string): void {
    this.connection.textContent = text;
    this.connection.dataset.state = text.replace(/[^a-z]/g, '');
  }

  private onEvent(event: RunnerEvent): void {
    if (!this.state) return;
    const change = applyEvent(this.state, event);
    if (!change) return;
    this.apply(change);
    this.announceEvent(event);
    if (change.finished) {
      this.source?.close();
      this.setConnection('');
    }
  }

  private apply(change: Change): void {
    if (change.header) this.renderHeader();
    if (change.allSources) this.renderSources();
    else if (change.source) this.renderSource(change.source);
    if (change.files && change.files.length > 0) this.addThumbnails(change.files);
    if (change.activity) this.renderActivity();
    if (change.source || change.allSources || change.finished) this.renderStats();
    if (change.finished || change.allSources) this.renderQueries();
    else if (change.source) this.refreshQueries();
  }

  /** Fetches the document again, a moment later, for per-query figures (events carry only per-source ones). */
  private refreshQueries(): void {
    if (this.queryRefresh !== null || (this.state?.queries.length ?? 0) < 2) return;
    this.queryRefresh = window.setTimeout(() => {
      api
        .job(this.jobId)
        .then((doc) => {
          // A document fetched while the job ran must not overwrite the final figures of job_finished.
          if (!this.state || this.queryRefresh === null || this.state.finished) return;
          this.state.queryStats = doc.results.query_stats ?? this.state.queryStats;
          this.renderQueries();
        })
        .catch(() => {})
        .finally(() => (this.queryRefresh = null));
    }, QUERY_REFRESH_MS);
  }

  private renderQueries(): void {
    const s = this.state!;
    this.queryPanel.hidden = s.queries.length < 2;
    if (s.queries.length < 2) return;
    const shown = s.queries.slice(0, QUERY_ROWS);
    const rows = shown.map((q) => {
      const st = s.queryStats[q];
      return h(
        'tr',
        { attrs: { 'data-query': q } },
        h('th', { attrs: { scope: 'row' } }, q),
        h('td', { class: 'num' }, st ? st.downloaded : '–'),
        h('td', { class: 'num', attrs: { title: st ? reasonsText(st.filtered_reasons) : '' } }, st ? st.filtered : '–'),
        h('td', { class: 'num' }, st ? st.near_duplicates : '–'),
        h('td', { class: 'error-cell' }, st ? st.failed_sources.map((id) => this.name(id)).join(', ') : ''),
      );
    });
    replaceChildren(this.queryBody, ...rows);
    const done = s.queries.filter((q) => {
      const st = s.queryStats[q];
      return st !== undefined && st.successful_sources.length + st.failed_sources.length >= s.sources.size;
    }).length;
    this.queryNote.textContent =
      `${done} of ${s.queries.length} queries done` +
      (s.queries.length > QUERY_ROWS ? `; the first ${QUERY_ROWS} are listed (every one is in the job document)` : '');
  }

  private renderAll(): void {
    this.renderHeader();
    this.renderSources();
    replaceChildren(this.thumbs);
    this.shown.clear();
    this.addThumbnails([...this.state!.files.keys()]);
    this.renderActivity();
    this.renderStats();
    this.renderQueries();
  }

  private name(id: string): string {
    return this.options.sourceNames.get(id) ?? humanizeId(id);
  }

  private renderHeader(): void {
    const s = this.state!;
    const saved = s.files.size;
    // `limit` is per source and per query.
    const wanted = s.limit * s.sources.size * s.queries.length;
    const more = s.queries.length - 1;
    this.title.textContent = `“${s.query}”${more > 0 ? ` and ${more} more quer${more === 1 ? 'y' : 'ies'}` : ''}`;
    this.meta.textContent = `job ${s.jobId} · ${s.mediaType} · up to ${s.limit} per source${more > 0 ? ' and query' : ''} · started ${s.startedAt ? `${formatTime(s.startedAt)} (${relativeTime(s.startedAt)})` : 'not yet'}`;
    replaceChildren(this.statusPill, pill(s.status));
    this.renderActions();
    this.progressBar.setAttribute('aria-valuemax', String(wanted));
    this.progressBar.setAttribute('aria-valuenow', String(saved));
    (this.progressBar.firstChild as HTMLElement).style.width =
      `${(wanted > 0 ? Math.min(1, saved / wanted) * 100 : 0).toFixed(1)}%`;
    this.progressText.textContent = `${saved} of up to ${wanted} files`;
    this.renderOutcome();
    const title = `${s.query}|${s.status}`;
    if (title !== this.lastTitle) {
      this.lastTitle = title;
      this.options.setTitle(s.query, s.status);
    }
  }

  /** Cancel while the job runs; Retry, Resume and the ZIP once it ended. Redrawn only when they change. */
  private renderActions(): void {
    const s = this.state!;
    const failed = [...s.sources.values()].filter((v) => v.error !== null).length;
    const key = `${s.status}|${failed}|${s.files.size > 0}`;
    if (key === this.actionsKey) return;
    this.actionsKey = key;
    const hadFocus = this.actions.contains(document.activeElement);
    const buttons: HTMLElement[] = [];
    if (isActive(s.status)) {
      buttons.push(
        h(
          'button',
          {
            class: 'button danger',
            attrs: { type: 'button', 'data-action': 'cancel' },
            on: { click: () => void this.cancel() },
          },
          'Cancel',
        ),
      );
    } else {
      if (failed > 0 && s.status !== 'interrupted' && s.status !== 'cancelled') {
        buttons.push(
          h(
            'button',
            {
              class: 'button',
              attrs: { type: 'button', 'data-action': 'retry' },
              on: { click: () => void this.retry() },
            },
            `Retry ${failed} failed`,
          ),
        );
      }
      if (s.status === 'interrupted' || s.status === 'cancelled') {
        buttons.push(
          h(
            'button',
            {
              class: 'button',
              attrs: { type: 'button', 'data-action': 'resume' },
              on: { click: () => void this.resume() },
            },
            'Resume',
          ),
        );
      }
    }
    if (s.files.size > 0)
      buttons.push(
        h('a', { class: 'button ghost', attrs: { href: api.archiveUrl(s.jobId), download: '' } }, 'Download ZIP'),
      );
    replaceChildren(this.actions, ...buttons);
    // The button that had the focus is gone: keep the reader on the job's status, not <body>.
    if (hadFocus) this.statusBox.focus();
  }

  /** Says in words why an ended job looks as it does: nothing new, cancelled, skipped sources. */
  private renderOutcome(): void {
    const s = this.state!;
    const lines: HTMLElement[] = [];
    let warn = false;
    const views = [...s.sources.values()];
    const existing = views.reduce((n, v) => n + (v.stats?.skipped_existing ?? 0), 0);
    const earlierJobs = [...new Set(views.flatMap((v) => v.stats?.existing_jobs ?? []))];
    const by = earlierJobs.length > 0 ? [' by ', ...jobLinks(earlierJobs), ' (open it)'] : [' by an earlier job'];
    if (s.status === 'cancelled') {
      warn = true;
      lines.push(
        h(
          'p',
          { attrs: { 'data-outcome': 'cancelled' } },
          `Cancelled${s.finishedAt ? ` ${relativeTime(s.finishedAt)} (${formatTime(s.finishedAt)})` : ''}: the ${s.files.size} file${s.files.size === 1 ? '' : 's'} saved before that are kept. Resume runs the sources that had not finished.`,
        ),
      );
    } else if (s.status === 'interrupted') {
      warn = true;
      lines.push(
        h(
          'p',
          { attrs: { 'data-outcome': 'interrupted' } },
          `The server stopped during this job; the ${s.files.size} files saved are kept. Resume continues it.`,
        ),
      );
    }
    if (!isActive(s.status) && existing > 0) {
      if (s.files.size === 0) {
        lines.push(
          h(
            'p',
            { attrs: { 'data-outcome': 'existing' } },
            h('strong', null, '0 new files'),
            ` — ${existing} ${existing === 1 ? 'was' : 'were'} already saved`,
            ...by,
            '.',
          ),
        );
      } else {
        lines.push(
          h(
            'p',
            { attrs: { 'data-outcome': 'existing' } },
            `${existing} more ${existing === 1 ? 'was' : 'were'} already saved`,
            ...by,
            '.',
          ),
        );
      }
    } else if (!isActive(s.status) && s.files.size === 0 && s.status !== 'cancelled' && s.status !== 'interrupted') {
      warn = true;
      lines.push(
        h(
          'p',
          { attrs: { 'data-outcome': 'empty' } },
          views.some((v) => v.error)
            ? 'No files: every source failed or was skipped (reasons below).'
            : 'No files: the sources found nothing for this query.',
        ),
      );
    }
    for (const v of views) {
      if (v.phase !== 'skipped') continue;
      warn = true;
      const retry = v.stats?.retry_after;
      lines.push(
        h(
          'p',
          { attrs: { 'data-outcome': 'skipped', 'data-source': v.id } },
          `${this.name(v.id)} was skipped: ${v.error ? localizeTimes(withoutRetryAfter(v.error)) : 'not run'}.${retry ? ` It will be tried again ${relativeAndLocal(retry)}.` : ''}`,
        ),
      );
    }
    const filtered = views.reduce((n, v) => n + (v.stats?.filtered ?? 0), 0);
    const nearDuplicates = views.reduce((n, v) => n + (v.stats?.near_duplicates ?? 0), 0);
    if (filtered > 0 || nearDuplicates > 0) {
      const reasons = views.reduce<Record<string, number>>((sum, v) => {
        for (const [k, n] of Object.entries(v.stats?.filtered_reasons ?? {})) sum[k] = (sum[k] ?? 0) + n;
        return sum;
      }, {});
      // In all, then per source: how many each filter and the near-duplicate removal took away.
      const perSource = views
        .filter((v) => (v.stats?.filtered ?? 0) > 0 || (v.stats?.near_duplicates ?? 0) > 0)
        .map((v) =>
          h(
            'li',
            { attrs: { 'data-source': v.id } },
            `${this.name(v.id)}: ${v.stats!.filtered} filtered${v.stats!.filtered > 0 ? ` (${reasonsText(v.stats!.filtered_reasons)})` : ''}, ${v.stats!.near_duplicates} near-duplicate${v.stats!.near_duplicates === 1 ? '' : 's'}`,
          ),
        );
      lines.push(
        h(
          'div',
          { attrs: { 'data-outcome': 'removed' } },
          h(
            'p',
            null,
            `Removed: ${filtered} by the filters${filtered > 0 ? ` (${reasonsText(reasons)})` : ''}, ${nearDuplicates} near-duplicate${nearDuplicates === 1 ? '' : 's'} of pictures already kept.`,
          ),
          h('ul', { class: 'removed-by-source' }, ...perSource),
        ),
      );
    }
    this.outcome.dataset.kind = warn ? 'warn' : 'info';
    replaceChildren(this.outcome, ...lines);
    this.outcome.hidden = lines.length === 0;
  }

  private renderSources(): void {
    const s = this.state!;
    for (const id of s.sources.keys()) this.renderSource(id);
    for (const [id, card] of this.sourceCards) {
      if (!s.sources.has(id)) {
        card.remove();
        this.sourceCards.delete(id);
      }
    }
  }

  private renderSource(id: string): void {
    const view = this.state!.sources.get(id);
    if (!view) return;
    let card = this.sourceCards.get(id);
    if (!card) {
      card = h('article', { class: 'source-card', attrs: { 'data-source': id } });
      this.sourceCards.set(id, card);
      this.sourceGrid.append(card);
    }
    renderSourceCard(card, view, { name: this.name(id), limit: this.state!.limit });
  }

  /** The deadline of every running source, redrawn as time passes. */
  private renderDeadlines(): void {
    if (!this.state) return;
    for (const [id, card] of this.sourceCards) {
      const view = this.state.sources.get(id);
      if (view) renderDeadline(card, view);
    }
  }

  /** A few words for a listener about what just happened (not for replayed history). */
  private announceEvent(event: RunnerEvent): void {
    const s = this.state!;
    if (event.type === 'file_saved') {
      if (event.index < this.known.files) return;
      if (s.files.size % ANNOUNCE_FILES_EVERY === 0) announce(`${s.files.size} files saved`, 'files');
    } else if (event.type === 'source_finished') {
      if (this.known.sources.has(event.source)) return;
      const st = event.stats;
      const name = this.name(event.source);
      if (st.status === 'skipped')
        announce(
          `${name} skipped: ${st.error ? localizeTimes(withoutRetryAfter(st.error)) : 'not run'}${st.retry_after ? `, tried again ${relativeTime(st.retry_after)}` : ''}`,
        );
      else if (st.error)
        announce(
          `${name} ${st.downloaded > 0 ? `stopped after ${st.downloaded} files` : 'failed'}: ${localizeTimes(st.error)}`,
        );
      else
        announce(
          `${name} finished: ${st.downloaded} file${st.downloaded === 1 ? '' : 's'} saved${st.skipped_existing > 0 ? `, ${st.skipped_existing} already saved before` : ''}`,
        );
    } else if (event.type === 'job_finished') {
      if (this.known.finished) return;
      const views = [...s.sources.values()];
      const ok = views.filter((v) => !v.error).length;
      const existing = views.reduce((n, v) => n + (v.stats?.skipped_existing ?? 0), 0);
      announce(
        `Job ${event.status}: ${s.files.size} file${s.files.size === 1 ? '' : 's'} saved${existing > 0 ? `, ${existing} already saved by an earlier job` : ''}; ${ok} of ${views.length} sources without errors`,
        'files',
      );
    } else if (event.type === 'job_started' && this.known.finished) {
      // A retry or resume of this job: its new run is news again.
      this.known = { files: s.files.size, sources: new Set(), finished: false };
    }
  }

  private addThumbnails(indexes: number[]): void {
    const s = this.state!;
    for (const index of [...indexes].sort((a, b) => a - b)) {
      const file = s.files.get(index);
      if (!file || this.shown.has(index)) continue;
      this.shown.add(index);
      this.thumbs.append(thumbnail(s.jobId, index, file, this.name(file.source)));
    }
    this.thumbCount.textContent = `(${s.files.size})`;
  }

  private renderActivity(): void {
    const items = this.state!.activity;
    if (items.length === 0) {
      replaceChildren(
        this.activityList,
        h('li', { class: 'muted' }, 'Failures, retries and finished sources appear here.'),
      );
      return;
    }
    replaceChildren(
      this.activityList,
      ...items.map((item) =>
        h(
          'li',
          { class: `activity-${item.kind}` },
          h('span', { class: 'activity-time' }, formatTime(item.ts)),
          h('strong', null, this.name(item.source)),
          ' ',
          h('span', null, localizeTimes(item.text)),
          item.url ? h('span', { class: 'activity-url', attrs: { title: item.url } }, item.url) : null,
        ),
      ),
    );
  }

  private renderStats(): void {
    const rows = [...this.state!.sources.values()].map((v) => {
      const st = v.stats;
      return h(
        'tr',
        { attrs: { 'data-source': v.id } },
        h('th', { attrs: { scope: 'row' } }, this.name(v.id)),
        h('td', null, pill(v.phase, phaseLabel(v))),
        h('td', { class: 'num' }, v.downloaded),
        h('td', { class: 'num' }, v.found),
        h('td', { class: 'num' }, v.failed),
        h('td', { class: 'num' }, st ? st.skipped_duplicates : '–'),
        h('td', { class: 'num' }, st ? st.skipped_existing : '–'),
        h('td', { class: 'num', attrs: { title: st ? reasonsText(st.filtered_reasons) : '' } }, st ? st.filtered : '–'),
        h('td', { class: 'num' }, st ? st.near_duplicates : '–'),
        h('td', { class: 'num' }, st ? formatBytes(st.bytes) : '–'),
        h('td', { class: 'num' }, st ? formatDuration(st.duration_ms) : '–'),
        h('td', { class: 'num' }, v.retries),
        h('td', { class: 'error-cell' }, v.error ? localizeTimes(v.error) : ''),
      );
    });
    replaceChildren(this.statsBody, ...rows);
  }

  private async cancel(): Promise<void> {
    try {
      await api.cancel(this.jobId);
      this.options.notify('Cancelling… files already saved are kept.');
      this.statusBox.focus();
    } catch (error) {
      this.options.notify(error instanceof Error ? error.message : 'cannot cancel', 'error');
    }
  }

  private async retry(): Promise<void> {
    try {
      await api.retry(this.jobId);
      this.options.notify('Retrying the failed sources.');
      this.reopen();
    } catch (error) {
      this.options.notify(error instanceof Error ? error.message : 'cannot retry', 'error');
    }
  }

  private async resume(): Promise<void> {
    try {
      await api.resume(this.jobId);
      this.options.notify('Resuming the job.');
      this.reopen();
    } catch (error) {
      this.options.notify(error instanceof Error ? error.message : 'cannot resume', 'error');
    }
  }

  /** Follows the job's new run: the stream continues after the last event seen. */
  private reopen(): void {
    if (!this.state) return;
    this.state.finished = false;
    this.connect(this.state.lastSeq);
  }
}

function thumbnail(jobId: string, index: number, file: SavedFile, sourceName: string): HTMLElement {
  const url = api.fileUrl(jobId, index);
  const title = file.title ?? file.path.split('/').pop() ?? `file ${index}`;
  const media =
    file.kind === 'video'
      ? h('video', { attrs: { src: url, muted: true, preload: 'metadata', playsinline: true, 'aria-label': title } })
      : h('img', { attrs: { src: url, alt: title, loading: 'lazy', decoding: 'async' } });
  const caption = h(
    'figcaption',
    null,
    h('span', { class: 'thumb-title' }, title),
    h(
      'span',
      { class: 'thumb-meta' },
      `${sourceName} · ${formatBytes(file.bytes)}${file.width && file.height ? ` · ${file.width}×${file.height}` : ''}`,
    ),
  );
  const link = h('a', { attrs: { href: url, target: '_blank', rel: 'noopener noreferrer', title } }, media);
  return h(
    'figure',
    { class: `thumb thumb-${file.kind}`, attrs: { 'data-index': index, 'data-source': file.source } },
    link,
    caption,
  );
}
