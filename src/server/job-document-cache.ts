// Serialised job documents, reused while they are fresh enough. A job document lists every file
// of the job (a 2,000-file job is close to a megabyte of JSON), and clients poll it; reading it,
// copying it and serialising it for each request costs milliseconds of CPU every time, which a
// running job on the same cores then lacks. So:
//
// - a job changes only through its runner events: each document is cached with the number of
//   events seen for its job, and is exact while no new event has arrived;
// - while a job runs, a document a few events old is still served for up to `runningStaleMs`
//   (the event stream is the live feed; a poller sees the document at most that much late), so a
//   busy job is serialised a few times a second, not once per request;
// - `job_started` and `job_finished` (and a retry, resume or cancel through the API) drop the
//   entry: the start and the end of a run are never served late;
// - every entry also expires after a short age, because another process (`harvester retry`) may
//   change a job without our seeing its events; an expired entry is never served again, so it is
//   dropped when next asked for, and a sweep at most every half age drops the ones nobody asks for
//   (a long-running server otherwise kept the documents of every ended job until the size cap);
// - the cache is capped by total bytes and by entry count, least recently used out first;
// - concurrent requests that miss share one load ("single flight").
import { randomBytes } from 'node:crypto';
import type { JobDocument } from '../core/types.ts';
import type { RunnerEvent } from '../core/events.ts';

export interface CachedDocument {
  /** The document serialised by the route's response serializer, as bytes ready to send. */
  body: Buffer;
  /** Strong validator of this exact body (If-None-Match). */
  etag: string;
  status: JobDocument['status'];
}

interface Entry extends CachedDocument {
  version: number;
  loadedAtMs: number;
}

export interface JobDocumentCache {
  /** Counts one event of a job (call from the service's subscription). */
  observe(event: RunnerEvent): void;
  /** Drops a job's entry: it changed without an event we saw (a retry or resume was just submitted). */
  invalidate(jobId: string): void;
  /** The document, from the cache or loaded and serialised now; null when the job does not exist. */
  get(
    jobId: string,
    load: () => Promise<JobDocument | null>,
    serialize: (doc: JobDocument) => string,
  ): Promise<CachedDocument | null>;
  /** What is kept right now (for tests and diagnostics). */
  size(): { entries: number; bytes: number };
}

export interface JobDocumentCacheOptions {
  /** Total size of the kept bodies, bytes. */
  maxBytes: number;
  /** Most documents kept at once. */
  maxEntries?: number;
  /** How long a running job's document may be served after newer events arrived, ms. */
  runningStaleMs?: number;
  /** Longest any document is reused, even with no new event, ms. */
  maxAgeMs?: number;
  nowMs?: () => number;
}

export function createJobDocumentCache(options: JobDocumentCacheOptions): JobDocumentCache {
  const runningStaleMs = options.runningStaleMs ?? 100;
  const maxAgeMs = options.maxAgeMs ?? 2000;
  const maxEntries = options.maxEntries ?? 1024;
  const nowMs = options.nowMs ?? (() => performance.now());
  // Different for each server start, so an ETag of an earlier process never matches.
  const boot = randomBytes(4).toString('hex');
  const versions = new Map<string, number>();
  // Bumped by what must never be served late (a start, an end, an API action).
  const generations = new Map<string, number>();
  const entries = new Map<string, Entry>(); // insertion order = least recently used first
  const inflight = new Map<string, { version: number; promise: Promise<CachedDocument | null> }>();
  let bytes = 0;
  let loads = 0;
  let lastSweepMs = nowMs();

  /** Removes the kept document only (no generation bump: a load under way may still keep its own). */
  function evict(jobId: string): void {
    const old = entries.get(jobId);
    if (!old) return;
    bytes -= old.body.length;
    entries.delete(jobId);
  }

  function drop(jobId: string): void {
    generations.set(jobId, (generations.get(jobId) ?? 0) + 1);
    evict(jobId);
  }

  function expired(entry: Entry, atMs: number): boolean {
    return atMs - entry.loadedAtMs >= maxAgeMs;
  }

  // Entries are in use order, not load order, so finding the expired ones takes a full pass;
  // doing it at most every half age keeps that cost off the request path.
  function sweep(atMs: number): void {
    if (atMs - lastSweepMs < maxAgeMs / 2) return;
    lastSweepMs = atMs;
    for (const [id, e] of entries) if (expired(e, atMs)) evict(id);
    // The per-job counters matter only against a kept document or a load under way; without
    // either, a job starts again from 0 and an entry loaded later compares against that.
    for (const id of versions.keys()) if (!entries.has(id) && !inflight.has(id)) versions.delete(id);
    for (const id of generations.keys()) if (!entries.has(id) && !inflight.has(id)) generations.delete(id);
  }

  function remember(jobId: string, entry: Entry): void {
    drop(jobId);
    sweep(nowMs());
    if (entry.body.length > options.maxBytes || maxEntries < 1) return;
    entries.set(jobId, entry);
    bytes += entry.body.length;
    for (const [id, e] of entries) {
      if (bytes <= options.maxBytes && entries.size <= maxEntries) break;
      entries.delete(id);
      bytes -= e.body.length;
    }
  }

  function fresh(entry: Entry, version: number): boolean {
    const age = nowMs() - entry.loadedAtMs;
    if (age >= maxAgeMs) return false;
    if (entry.version === version) return true;
    return entry.status === 'running' && age < runningStaleMs;
  }

  return {
    observe(event) {
      versions.set(event.job_id, (versions.get(event.job_id) ?? 0) + 1);
      if (event.type === 'job_started' || event.type === 'job_finished') drop(event.job_id);
    },
    invalidate(jobId) {
      versions.set(jobId, (versions.get(jobId) ?? 0) + 1);
      drop(jobId);
    },
    async get(jobId, load, serialize) {
      const version = versions.get(jobId) ?? 0;
      const hit = entries.get(jobId);
      if (hit && fresh(hit, version)) {
        entries.delete(jobId);
        entries.set(jobId, hit);
        return hit;
      }
      // Past its age it is never served again: let it go now rather than at the size cap.
      if (hit && expired(hit, nowMs())) evict(jobId);
      const running = inflight.get(jobId);
      if (running && running.version === version) return running.promise;
      const loadedAtMs = nowMs();
      const generation = generations.get(jobId) ?? 0;
      const promise = (async () => {
        const doc = await load();
        if (!doc) return null;
        const entry: Entry = {
          body: Buffer.from(serialize(doc)),
          etag: `"${boot}-${++loads}"`,
          status: doc.status,
          version,
          loadedAtMs,
        };
        // A load that a start or an end overtook is answered but not kept.
        if ((generations.get(jobId) ?? 0) === generation) remember(jobId, entry);
        return entry;
      })();
      inflight.set(jobId, { version, promise });
      try {
        return await promise;
      } finally {
        if (inflight.get(jobId)?.promise === promise) inflight.delete(jobId);
      }
    },
    size() {
      return { entries: entries.size, bytes };
    },
  };
}
