// Live progress of a job on stderr. On a terminal that takes cursor control: one line per
// source, redrawn in place (state, found, saved/limit, failed, elapsed). Elsewhere (a pipe, a CI
// log, TERM=dumb): one plain line per notable event, so nothing is overwritten and every line
// can be grepped. Statuses are coloured where the stream wants colour (./terminal.ts).
import { performance } from 'node:perf_hooks';
import { escapeControlChars } from '../core/control-chars.ts';
import type { RunnerEvent } from '../core/events.ts';
import type { SourceStatus } from '../core/types.ts';
import type { CliContext } from './context.ts';
import { formatBytes, formatDuration } from './format.ts';
import { canMoveCursor, statusPainter, type StatusPainter } from './terminal.ts';

interface SourceLine {
  state: SourceStatus;
  found: number;
  saved: number;
  failed: number;
  startedMs: number | null;
  elapsedMs: number | null;
  error: string | null;
}

export interface Progress {
  onEvent(event: RunnerEvent): void;
  /** Draws the final state and stops the timers. */
  stop(): void;
}

const REDRAW_MS = 100;

/**
 * Queries done of a several-query job: a query is done when every source has finished its run
 * of it. Null for a one-query job (its events carry no `query`).
 */
class QueryCount {
  total = 0;
  done = 0;
  private sources = 0;
  private readonly finished = new Map<string, number>();

  onEvent(e: RunnerEvent): string | null {
    if (e.type === 'job_started') {
      this.total = e.queries?.length ?? 1;
      this.sources = e.sources.length;
      return null;
    }
    if (e.type !== 'source_finished' || e.query === undefined) return null;
    const n = (this.finished.get(e.query) ?? 0) + 1;
    this.finished.set(e.query, n);
    if (n < this.sources) return null;
    this.finished.delete(e.query);
    this.done++;
    return e.query;
  }
}

export function createProgress(
  stream: CliContext['stderr'],
  options: { jobId: () => string | null; env: CliContext['env'] },
): Progress {
  const { env } = options;
  const paint = statusPainter(stream, env);
  return canMoveCursor(stream, env)
    ? new LiveProgress(stream, options.jobId, paint)
    : new PlainProgress(stream, options.jobId, paint);
}

class PlainProgress implements Progress {
  private readonly queries = new QueryCount();
  constructor(
    private readonly out: CliContext['stderr'],
    private readonly jobId: () => string | null,
    private readonly paint: StatusPainter,
  ) {}

  onEvent(e: RunnerEvent): void {
    const id = this.jobId();
    if (id !== null && e.job_id !== id) return;
    const line = plainLine(e, this.paint);
    if (line !== null) this.out.write(`${line}\n`);
    const done = this.queries.onEvent(e);
    if (done !== null) this.out.write(`queries ${this.queries.done}/${this.queries.total} done ("${done}" finished)\n`);
  }

  stop(): void {}
}

/** One line per event; outside text (query, paths, errors, URLs) escaped, our own colour codes kept. */
function plainLine(e: RunnerEvent, paint: StatusPainter): string | null {
  const t = escapeControlChars;
  switch (e.type) {
    case 'job_started': {
      const what =
        (e.queries?.length ?? 1) > 1 ? `${e.queries!.length} queries ("${t(e.query)}", …)` : `"${t(e.query)}"`;
      return `job ${e.job_id}${e.resumed ? ' (resumed)' : ''}: ${what} from ${e.sources.join(', ')} (limit ${e.limit}, ${e.media_type})`;
    }
    case 'source_started':
      return `[${e.source}]${e.query !== undefined ? ` "${e.query}"` : ''} started (deadline ${formatDuration(e.timeout_ms)})`;
    case 'file_saved':
      return `[${e.source}] saved ${t(e.file.path)} (${formatBytes(e.file.bytes)}, ${formatDuration(e.file.duration_ms)})`;
    case 'file_failed':
      return `[${e.source}] download failed: ${t(e.error)} (${t(e.url)})`;
    case 'retry':
      return `[${e.source}] retrying ${e.phase} (attempt ${e.attempt}, in ${formatDuration(e.delay_ms)}) after ${t(e.error)}`;
    case 'source_finished': {
      const s = e.stats;
      const counts = `${s.downloaded} saved, ${s.failed_downloads} failed, ${s.found} found`;
      return `[${e.source}]${e.query !== undefined ? ` "${t(e.query)}"` : ''} ${paint(s.status)}${s.status === 'skipped' ? '' : `: ${counts} in ${formatDuration(s.duration_ms)}`}${s.error ? ` — ${t(s.error)}` : ''}`;
    }
    default:
      return null;
  }
}

class LiveProgress implements Progress {
  private readonly lines = new Map<string, SourceLine>();
  private readonly queries = new QueryCount();
  private limit = 0;
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly out: CliContext['stderr'],
    private readonly jobId: () => string | null,
    private readonly paint: StatusPainter,
  ) {
    // Elapsed times move even when no event arrives.
    this.ticker = setInterval(() => this.schedule(), 250);
    this.ticker.unref();
  }

  onEvent(e: RunnerEvent): void {
    const id = this.jobId();
    if (id !== null && e.job_id !== id) return;
    this.queries.onEvent(e);
    switch (e.type) {
      case 'job_started':
        this.limit = e.limit * (e.queries?.length ?? 1);
        for (const s of e.sources) {
          if (!this.lines.has(s))
            this.lines.set(s, {
              state: 'pending',
              found: 0,
              saved: 0,
              failed: 0,
              startedMs: null,
              elapsedMs: null,
              error: null,
            });
        }
        break;
      case 'source_started':
        Object.assign(this.line(e.source), {
          state: 'running',
          startedMs: performance.now(),
          elapsedMs: null,
          error: null,
        });
        break;
      case 'candidate_found':
        this.line(e.source).found++;
        break;
      case 'file_saved':
        this.line(e.source).saved++;
        break;
      case 'file_failed':
        this.line(e.source).failed++;
        break;
      case 'source_finished': {
        const l = this.line(e.source);
        if (e.query !== undefined) {
          // One run of several: the line keeps counting over the source's runs.
          Object.assign(l, {
            state: this.queries.done < this.queries.total ? 'running' : e.stats.status,
            error: e.stats.error ?? l.error,
          });
          break;
        }
        Object.assign(l, {
          state: e.stats.status,
          found: e.stats.found,
          saved: e.stats.downloaded,
          failed: e.stats.failed_downloads,
          elapsedMs: e.stats.duration_ms,
          error: e.stats.error,
        });
        break;
      }
      default:
        return;
    }
    this.schedule();
  }

  stop(): void {
    clearInterval(this.ticker);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.draw();
  }

  private line(source: string): SourceLine {
    let l = this.lines.get(source);
    if (l === undefined) {
      l = { state: 'pending', found: 0, saved: 0, failed: 0, startedMs: null, elapsedMs: null, error: null };
      this.lines.set(source, l);
    }
    return l;
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  private draw(): void {
    if (this.lines.size === 0) return;
    // A pseudo-terminal may report 0 columns: that means unknown, not narrow.
    const width = Math.max(40, (this.out.columns || 100) - 1);
    const nameWidth = Math.max(...[...this.lines.keys()].map((k) => k.length));
    let text = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
    const header = this.queries.total > 1 ? 1 : 0;
    if (header) text += `\x1b[2Kqueries ${this.queries.done}/${this.queries.total} done\n`;
    for (const [name, l] of this.lines) {
      const elapsed = l.elapsedMs ?? (l.startedMs !== null ? performance.now() - l.startedMs : null);
      const head = `${name.padEnd(nameWidth)}  `;
      const rest =
        `${' '.repeat(Math.max(0, 8 - l.state.length))} found ${String(l.found).padStart(3)}  ` +
        `saved ${l.saved}/${this.limit}  failed ${l.failed}  ${elapsed !== null ? formatDuration(elapsed) : ''}` +
        (l.error ? `  ${escapeControlChars(l.error)}` : '');
      // Cut to the width before colouring, so the codes never count against the width.
      const visible = (head + l.state + rest).slice(0, width);
      const state = visible.slice(head.length, head.length + l.state.length);
      text += `\x1b[2K${visible.slice(0, head.length)}${state ? this.paint(l.state, state) : ''}${visible.slice(head.length + l.state.length)}\n`;
    }
    this.drawn = this.lines.size + header;
    this.out.write(text);
  }
}
