// Serialised job documents, reused until the job changes. A job document lists every file of the
// job (a 2,000-file job is about a megabyte of JSON), and clients poll it; reading it from the
// store and serialising it for each request would cost milliseconds of CPU every time. A job
// changes only through its runner events, so each document is cached with the number of events
// seen for its job, and a new event makes the entry stale. Concurrent requests for the same
// version share one read ("single flight").
//
// Entries also expire after a short age: a runner may update its state just after emitting an
// event, and another process (`harvester retry`) may change a job without our seeing its events;
// an age limit bounds how long either can show a stale document.
import { randomBytes } from 'node:crypto';
import type { JobDocument } from '../core/types.ts';
import type { RunnerEvent } from '../core/events.ts';

export interface CachedDocument {
  /** The document serialised by the route's response serializer. */
  body: string;
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
  /** Marks a job changed without an event (a retry or resume was just submitted). */
  invalidate(jobId: string): void;
  /** The current serialised document, computing it when stale; null when the job does not exist. */
  get(jobId: string, load: () => Promise<JobDocument | null>, serialize: (doc: JobDocument) => string): Promise<CachedDocument | null>;
}

export interface JobDocumentCacheOptions {
  /** Total size of the kept bodies, bytes. */
  maxBytes: number;
  /** Longest a document of a queued or running job is reused, ms. */
  activeMaxAgeMs?: number;
  /** Longest a document of an ended job is reused, ms. */
  endedMaxAgeMs?: number;
  nowMs?: () => number;
}

export function createJobDocumentCache(options: JobDocumentCacheOptions): JobDocumentCache {
  const activeMaxAgeMs = options.activeMaxAgeMs ?? 250;
  const endedMaxAgeMs = options.endedMaxAgeMs ?? 2000;
  const nowMs = options.nowMs ?? (() => performance.now());
  // Different for each server start, so an ETag of an earlier process never matches.
  const boot = randomBytes(4).toString('hex');
  const versions = new Map<string, number>();
  const entries = new Map<string, Entry>(); // insertion order = least recently used first
  const inflight = new Map<string, { version: number; promise: Promise<CachedDocument | null> }>();
  let bytes = 0;
  let loads = 0;

  function remember(jobId: string, entry: Entry): void {
    const old = entries.get(jobId);
    if (old) {
      bytes -= old.body.length;
      entries.delete(jobId);
    }
    if (entry.body.length > options.maxBytes) return;
    entries.set(jobId, entry);
    bytes += entry.body.length;
    for (const [id, e] of entries) {
      if (bytes <= options.maxBytes) break;
      entries.delete(id);
      bytes -= e.body.length;
    }
  }

  return {
    observe(event) {
      versions.set(event.job_id, (versions.get(event.job_id) ?? 0) + 1);
    },
    invalidate(jobId) {
      versions.set(jobId, (versions.get(jobId) ?? 0) + 1);
    },
    async get(jobId, load, serialize) {
      const version = versions.get(jobId) ?? 0;
      const hit = entries.get(jobId);
      const active = hit?.status === 'queued' || hit?.status === 'running';
      if (hit && hit.version === version && nowMs() - hit.loadedAtMs < (active ? activeMaxAgeMs : endedMaxAgeMs)) {
        entries.delete(jobId);
        entries.set(jobId, hit);
        return hit;
      }
      const running = inflight.get(jobId);
      if (running && running.version === version) return running.promise;
      const loadedAtMs = nowMs();
      const promise = (async () => {
        const doc = await load();
        if (!doc) return null;
        const body = serialize(doc);
        const entry: Entry = { body, etag: `"${boot}-${++loads}"`, status: doc.status, version, loadedAtMs };
        // Only a document read at the newest version may be kept: a later event makes it stale.
        if ((versions.get(jobId) ?? 0) === version) remember(jobId, entry);
        return entry;
      })();
      inflight.set(jobId, { version, promise });
      try {
        return await promise;
      } finally {
        if (inflight.get(jobId)?.promise === promise) inflight.delete(jobId);
      }
    },
  };
}
