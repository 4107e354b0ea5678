// The live job view: per-source cards (state, progress, deadline, error), thumbnails of saved
// files as they land, the per-source statistics table and recent problems — fed by the job's
// event stream (EventSource, which reconnects by itself with Last-Event-ID).
import { ApiError, api } from './api.ts';
import { h, pill, replaceChildren } from './dom.ts';
import { formatBytes, formatDuration, formatTime, humanizeId } from './format.ts';
import { applyEvent, isActive, stateFromDocument, type Change, type JobState, type SourceView } from './job-state.ts';
import type { RunnerEvent, SavedFile } from './types.ts';

const EVENT_TYPES = ['job_started', 'source_started', 'candidate_found', 'file_saved', 'file_failed', 'retry', 'source_finished', 'job_finished'] as const;

export interface JobViewOptions {
  /** Display names of sources, by id. */
  sourceNames: Map<string, string>;
  /** Shows a transient message. */
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Opens another job (a retry keeps the id; kept for symmetry). */
  openJob(id: string): void;
}

export class JobView {
  readonly root: HTMLElement;
  private state: JobState | null = null;
  private source: EventSource | null = null;
  private tick: number | null = null;
  private readonly header = h('div', { class: 'job-header' });
  private readonly sourceGrid = h('div', { class: 'source-grid', attrs: { 'aria-label': 'Sources' } });
  private readonly sourceCards = new Map<string, HTMLElement>();
  private readonly thumbs = h('div', { class: 'thumb-grid', attrs: { 'aria-label': 'Saved files' } });
  private readonly thumbCount = h('span', { class: 'muted' });
  /** Indexes of the files whose thumbnail is on the page. */
  private readonly shown = new Set<number>();
  private readonly statsBody = h('tbody');
  private readonly activityList = h('ul', { class: 'activity' });
  private readonly connection = h('span', { class: 'connection muted', attrs: { 'aria-live': 'polite' } });

  constructor(
    private readonly jobId: string,
    private readonly options: JobViewOptions,
  ) {
    this.root = h(
      'section',
      { class: 'card job-view', attrs: { 'aria-labelledby': 'job-title', 'data-job-id': jobId } },
      this.header,
      this.sourceGrid,
      h(
        'div',
        { class: 'job-columns' },
        h(
          'section',
          { class: 'panel', attrs: { 'aria-labelledby': 'files-title' } },
          h('h3', { attrs: { id: 'files-title' } }, 'Saved files ', this.thumbCount),
          this.thumbs,
        ),
        h(
          'section',
          { class: 'panel', attrs: { 'aria-labelledby': 'activity-title' } },
          h('h3', { attrs: { id: 'activity-title' } }, 'Activity'),
          this.activityList,
        ),
      ),
      h(
        'section',
        { class: 'panel', attrs: { 'aria-labelledby': 'stats-title' } },
        h('h3', { attrs: { id: 'stats-title' } }, 'Per-source statistics'),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'stats-table' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ...['Source', 'Status', 'Saved', 'Found', 'Failed', 'Duplicates', 'Already had', 'Bytes', 'Time', 'Retries', 'Error'].map((t) =>
                  h('th', { attrs: { scope: 'col' } }, t),
                ),
              ),
            ),
            this.statsBody,
          ),
        ),
      ),
    );
  }

  async start(): Promise<void> {
    replaceChildren(this.header, h('p', { class: 'muted' }, 'Loading job…'));
    let doc;
    try {
      doc = await api.job(this.jobId);
    } catch (error) {
      replaceChildren(this.header, h('p', { class: 'error-text' }, error instanceof ApiError ? error.message : 'cannot load the job'));
      return;
    }
    // Everything is rebuilt from the job's events, which the stream replays from the start (an
    // ended job's final `job_finished` carries its whole document, whatever came before).
    this.state = stateFromDocument(doc);
    this.renderAll();
    this.connect(0);
    this.tick = window.setInterval(() => this.renderDeadlines(), 500);
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.tick !== null) window.clearInterval(this.tick);
    this.tick = null;
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
  }

  private renderAll(): void {
    this.renderHeader();
    this.renderSources();
    replaceChildren(this.thumbs);
    this.shown.clear();
    this.addThumbnails([...this.state!.files.keys()]);
    this.renderActivity();
    this.renderStats();
  }

  private name(id: string): string {
    return this.options.sourceNames.get(id) ?? humanizeId(id);
  }

  private renderHeader(): void {
    const s = this.state!;
    const saved = s.files.size;
    const wanted = s.limit * s.sources.size;
    const actions = h('div', { class: 'job-actions' });
    if (isActive(s.status)) {
      actions.append(
        h('button', { class: 'button danger', attrs: { type: 'button', 'data-action': 'cancel' }, on: { click: () => void this.cancel() } }, 'Cancel'),
      );
    } else {
      const failed = [...s.sources.values()].filter((v) => v.error !== null).length;
      if (failed > 0 && s.status !== 'interrupted' && s.status !== 'cancelled') {
        actions.append(
          h('button', { class: 'button', attrs: { type: 'button', 'data-action': 'retry' }, on: { click: () => void this.retry() } }, `Retry ${failed} failed`),
        );
      }
      if (s.status === 'interrupted' || s.status === 'cancelled') {
        actions.append(h('button', { class: 'button', attrs: { type: 'button', 'data-action': 'resume' }, on: { click: () => void this.resume() } }, 'Resume'));
      }
    }
    if (saved > 0) {
      actions.append(h('a', { class: 'button ghost', attrs: { href: api.archiveUrl(s.jobId), download: '' } }, 'Download ZIP'));
    }
    const progress = wanted > 0 ? Math.min(1, saved / wanted) : 0;
    const bar = h('div', { class: 'progress big', attrs: { role: 'progressbar', 'aria-label': 'Files saved', 'aria-valuemin': 0, 'aria-valuemax': wanted, 'aria-valuenow': saved } }, h('span'));
    (bar.firstChild as HTMLElement).style.width = `${(progress * 100).toFixed(1)}%`;
    replaceChildren(
      this.header,
      h(
        'div',
        { class: 'job-title-row' },
        h('div', null, h('h2', { attrs: { id: 'job-title' } }, '“', s.query, '”'), h('p', { class: 'muted small' }, `job ${s.jobId} · ${s.mediaType} · up to ${s.limit} per source · started ${formatTime(s.startedAt)}`)),
        h('div', { class: 'job-status' }, pill(s.status), this.connection, actions),
      ),
      h('div', { class: 'job-progress' }, bar, h('span', { class: 'muted small' }, `${saved} of up to ${wanted} files`)),
    );
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
    card.dataset.phase = view.phase;
    const limit = this.state!.limit;
    const bar = h('div', { class: 'progress', attrs: { role: 'progressbar', 'aria-label': `${this.name(id)} files saved`, 'aria-valuemin': 0, 'aria-valuemax': limit, 'aria-valuenow': view.downloaded } }, h('span'));
    (bar.firstChild as HTMLElement).style.width = `${Math.min(100, (view.downloaded / Math.max(1, limit)) * 100).toFixed(1)}%`;
    const deadline = h('div', { class: 'deadline', attrs: { 'aria-hidden': 'true' } }, h('span'));
    replaceChildren(
      card,
      h('header', null, h('h4', null, this.name(id)), pill(view.phase, phaseLabel(view))),
      bar,
      h(
        'dl',
        { class: 'counters' },
        h('div', null, h('dt', null, 'saved'), h('dd', null, view.downloaded)),
        h('div', null, h('dt', null, 'found'), h('dd', null, view.found)),
        h('div', null, h('dt', null, 'failed'), h('dd', null, view.failed)),
        h('div', null, h('dt', null, 'retries'), h('dd', null, view.retries)),
      ),
      deadline,
      view.error ? h('p', { class: 'source-error', attrs: { title: view.error } }, view.error) : null,
    );
    this.renderDeadline(card, view);
  }

  /** The bar under a running source that fills up as its deadline approaches. */
  private renderDeadlines(): void {
    if (!this.state) return;
    for (const [id, card] of this.sourceCards) {
      const view = this.state.sources.get(id);
      if (view) this.renderDeadline(card, view);
    }
  }

  private renderDeadline(card: HTMLElement, view: SourceView): void {
    const deadline = card.querySelector<HTMLElement>('.deadline');
    if (!deadline) return;
    const running = view.phase === 'running' && view.startedAtMs !== null && view.timeoutMs !== null;
    deadline.hidden = !running;
    if (!running) return;
    const elapsed = Date.now() - view.startedAtMs!;
    const fraction = Math.min(1, Math.max(0, elapsed / view.timeoutMs!));
    (deadline.firstChild as HTMLElement).style.width = `${(fraction * 100).toFixed(1)}%`;
    deadline.title = `${formatDuration(elapsed)} of its ${formatDuration(view.timeoutMs)} deadline`;
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
      replaceChildren(this.activityList, h('li', { class: 'muted' }, 'Failures, retries and finished sources appear here.'));
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
          h('span', null, item.text),
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
        h('td', { class: 'num' }, st ? formatBytes(st.bytes) : '–'),
        h('td', { class: 'num' }, st ? formatDuration(st.duration_ms) : '–'),
        h('td', { class: 'num' }, v.retries),
        h('td', { class: 'error-cell' }, v.error ?? ''),
      );
    });
    replaceChildren(this.statsBody, ...rows);
  }

  private async cancel(): Promise<void> {
    try {
      await api.cancel(this.jobId);
      this.options.notify('Cancelling… files already saved are kept.');
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

function phaseLabel(view: SourceView): string {
  switch (view.phase) {
    case 'timeout':
      return 'timed out';
    case 'ok':
      return 'done';
    default:
      return view.phase;
  }
}

function thumbnail(jobId: string, index: number, file: SavedFile, sourceName: string): HTMLElement {
  const url = api.fileUrl(jobId, index);
  const title = file.title ?? file.path.split('/').pop() ?? `file ${index}`;
  const media =
    file.kind === 'video'
      ? h('video', { attrs: { src: url, muted: true, preload: 'metadata', playsinline: true, 'aria-label': title } })
      : h('img', { attrs: { src: url, alt: title, loading: 'lazy', decoding: 'async' } });
  const caption = h('figcaption', null, h('span', { class: 'thumb-title' }, title), h('span', { class: 'thumb-meta' }, `${sourceName} · ${formatBytes(file.bytes)}${file.width && file.height ? ` · ${file.width}×${file.height}` : ''}`));
  const link = h('a', { attrs: { href: url, target: '_blank', rel: 'noopener noreferrer', title } }, media);
  return h('figure', { class: `thumb thumb-${file.kind}`, attrs: { 'data-index': index, 'data-source': file.source } }, link, caption);
}
