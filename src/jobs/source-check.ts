// `sources --check` and POST /api/sources/check: one small real search per source (its example
// query, one page) under the same deadline, request timeout, retries, private-network guard and
// proxy as a job's search, reported as ok / layout_changed / blocked / unreachable /
// not_configured with the time it took and the evidence, and kept in source health.
import { performance } from 'node:perf_hooks';
import { sourceTimeoutMs, type Config } from '../core/config.ts';
import { errorMessage, sourceErrorCodeOf, type SourceErrorCode } from '../core/errors.ts';
import type { SourceCheck, SourceCheckStatus, SourceId } from '../core/types.ts';
import { bindSourceHttp } from '../http/index.ts';
import type { HttpClient } from '../http/types.ts';
import { SOURCES } from '../sources/index.ts';
import { originOf, type Source, type SourceContext } from '../sources/source.ts';
import type { SourceHealthRepository } from '../store/store.ts';
import { raceSignal, sourceDeadline } from './signals.ts';

/** Candidates a check takes before it stops: enough to show the source works. */
const CHECK_ITEMS = 5;
/** Longest detail kept, characters. */
const MAX_DETAIL_CHARS = 600;

export interface CheckOptions {
  config: Config;
  http: HttpClient;
  /** Where results are kept (source health); none when the caller has no store. */
  store?: { health: SourceHealthRepository };
  /** The sources to check (default: all). */
  ids?: readonly SourceId[];
  /** Cancels every check at once. */
  signal?: AbortSignal;
  now?: () => Date;
}

/** What a source's ending error says about the source, as a check status. */
export function checkStatusOf(code: SourceErrorCode): SourceCheckStatus {
  if (code === 'layout_changed' || code === 'blocked' || code === 'not_configured') return code;
  return 'unreachable';
}

/** Checks the sources in parallel (each bounded by its own deadline) and records each result. */
export async function checkSources(options: CheckOptions): Promise<SourceCheck[]> {
  const wanted = options.ids ?? SOURCES.map((s) => s.id);
  const sources = SOURCES.filter((s) => wanted.includes(s.id));
  const checks = await Promise.all(sources.map((source) => checkOne(source, options)));
  if (options.store) for (const check of checks) await options.store.health.recordCheck(check);
  return checks;
}

async function checkOne(source: Source, options: CheckOptions): Promise<SourceCheck> {
  const { config } = options;
  const now = options.now ?? (() => new Date());
  const started = performance.now();
  const result = (status: SourceCheckStatus, found: number, detail: string): SourceCheck => ({
    id: source.id,
    status,
    found,
    duration_ms: Math.round(performance.now() - started),
    detail: detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}…` : detail,
    checked_at: now().toISOString(),
  });
  const configured = source.configured(config);
  if (!configured.ok) return result('not_configured', 0, configured.reason);

  const timeoutMs = sourceTimeoutMs(config, source.id);
  const deadline = sourceDeadline(options.signal ?? new AbortController().signal, timeoutMs);
  const ctx: SourceContext = {
    http: bindSourceHttp(options.http, {
      signal: deadline.signal,
      timeoutMs: config.requestTimeoutMs,
      retries: config.maxRetriesPerSource,
      sourceId: source.id,
      deadlineAt: deadline.deadlineAt,
    }),
    signal: deadline.signal,
    config,
    origin: originOf(source, config),
    maxPages: 1,
    reportRateLimit: () => {},
    reportPage: () => {},
  };
  const seen: string[] = [];
  const type = source.kinds.includes('image') ? 'image' : 'any';
  const iterator = source.search({ text: source.example, type, limit: CHECK_ITEMS }, ctx)[Symbol.asyncIterator]();
  try {
    while (seen.length < CHECK_ITEMS) {
      // A source that ignores its signal still ends at the deadline.
      const next = await raceSignal(iterator.next(), deadline.signal);
      if (next.done) break;
      seen.push(next.value.title ?? next.value.url);
    }
    const detail =
      seen.length > 0
        ? `found ${seen.length} for ${JSON.stringify(source.example)}: ${seen
            .slice(0, 3)
            .map((t) => JSON.stringify(t))
            .join(', ')}`
        : `the service answered that nothing matched ${JSON.stringify(source.example)}`;
    return result('ok', seen.length, detail);
  } catch (error) {
    const cause = deadline.signal.aborted ? deadline.signal.reason : error;
    return result(checkStatusOf(sourceErrorCodeOf(cause)), seen.length, errorMessage(cause));
  } finally {
    deadline.clear();
    void iterator.return?.(undefined)?.catch(() => {});
  }
}

/** Exit code of a check run: 0 when every checked source is ok, 3 when some are, 1 when none. */
export function checkExitCode(checks: readonly SourceCheck[]): number {
  const ok = checks.filter((c) => c.status === 'ok').length;
  if (checks.length > 0 && ok === checks.length) return 0;
  return ok > 0 ? 3 : 1;
}
