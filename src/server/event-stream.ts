// One job's Server-Sent Events stream: its history from the start (or after
// Last-Event-ID), then its live events, with neither gap nor duplicate between the two, ending
// after `job_finished`.
//
// The order matters: we subscribe to live events *before* reading the history, buffering what
// arrives meanwhile; then send the history, then drain the buffer, skipping every seq already
// sent. An event emitted before we subscribed is in the history; one emitted after is in the
// buffer; one in both is sent once. If live events skip ahead of what has been sent (the store
// lagged behind the emitter), the missing part is read from the history before going on.
//
// A job's history can hold several runs (a retry or resume appends a new run after an earlier
// `job_finished`; every event carries its `run`). The stream ends after the `job_finished` of the
// run that was live when it opened — or, for an ended job, of its last run — so a client opened
// on a retried job sees the earlier runs and then the live one to its end.
import type { ServerResponse } from 'node:http';
import { runOf, type JobFinishedEvent, type RunnerEvent } from '../core/events.ts';
import { DOCUMENT_FILES_MAX } from '../core/types.ts';
import type { JobService } from '../jobs/service.ts';
import { isActiveStatus } from '../core/job-actions.ts';

export interface EventStreamOptions {
  jobs: JobService;
  jobId: string;
  /** Send only events with a greater seq (from Last-Event-ID); 0 = from the start. */
  afterSeq: number;
  /** Interval of keep-alive comments, so proxies do not cut an idle stream, ms. */
  heartbeatMs: number;
  /** A client this far behind is disconnected (it reconnects with Last-Event-ID), bytes. */
  maxBufferedBytes: number;
  /** Browsers wait this long before reconnecting, ms. */
  retryMs: number;
  /** How long between looks at the store for a gap's missing event, ms (GAP_WAIT_STEPS looks). */
  gapWaitMs?: number;
}

/** How many times a gap is looked up again, `gapWaitMs` apart, before it is skipped (2 s by default). */
const GAP_WAIT_STEPS = 20;

export interface EventStream {
  /** Resolves when the stream has ended, for whatever reason. */
  done: Promise<void>;
  /** Ends the stream now (server shutdown). */
  close(): void;
}

export function formatEvent(event: RunnerEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Writes the event stream of one job to `res`, whose head must already be sent. */
export function startEventStream(res: ServerResponse, options: EventStreamOptions): EventStream {
  const { jobs, jobId } = options;
  const gapWaitMs = options.gapWaitMs ?? 100;
  let lastSent = options.afterSeq;
  let lastType: RunnerEvent['type'] | null = null;
  // The newest event seen, sent or not (the client's own Last-Event-ID included): its run and
  // type say which run is live or last.
  let newest: { seq: number; run: number; type: RunnerEvent['type'] } | null = null;
  let ended = false;
  // While true, live events wait in `pending` (the history is being read or sent).
  let filling = true;
  // The run whose `job_finished` ends the stream; null until the job's state has been read, so
  // that an earlier run's `job_finished` in the history never ends it.
  let endRun: number | null = null;
  const pending: RunnerEvent[] = [];
  const gapsTried = new Set<number>();
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const unsubscribe = jobs.subscribe((event) => {
    if (ended || event.job_id !== jobId) return;
    pending.push(event);
    if (!filling) drain();
  });
  const heartbeat = setInterval(() => {
    if (!ended) res.write(': keep-alive\n\n');
  }, options.heartbeatMs);
  heartbeat.unref?.();

  function end(): void {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(heartbeat);
    pending.length = 0;
    if (!res.writableEnded && !res.destroyed) res.end();
    resolveDone();
  }
  res.on('close', end);

  function note(event: RunnerEvent): void {
    if (newest === null || event.seq > newest.seq) newest = { seq: event.seq, run: runOf(event), type: event.type };
  }

  function send(event: RunnerEvent): void {
    note(event);
    if (ended || event.seq <= lastSent) return;
    res.write(formatEvent(event));
    lastSent = event.seq;
    lastType = event.type;
    if (event.type === 'job_finished' && endRun !== null && runOf(event) >= endRun) {
      end();
      return;
    }
    if (res.writableLength > options.maxBufferedBytes) {
      // A client that cannot keep up reconnects with Last-Event-ID and reads the history instead.
      res.destroy();
      end();
    }
  }

  function drain(): void {
    pending.sort((a, b) => a.seq - b.seq);
    while (!ended && pending.length > 0) {
      const next = pending[0]!;
      if (next.seq <= lastSent) {
        pending.shift();
        continue;
      }
      if (next.seq > lastSent + 1 && !gapsTried.has(lastSent)) {
        gapsTried.add(lastSent);
        void fillFromHistory(true).then(drain, fail);
        return;
      }
      pending.shift();
      send(next);
    }
  }

  async function fillFromHistory(isGap: boolean, from = lastSent): Promise<void> {
    filling = true;
    try {
      let events = await jobs.history(jobId, from);
      // Several processes number a job's events (the distributed mode): one that took seq n may
      // still be writing it when n + 1 arrives. Wait for n while it is likely in flight — up to
      // GAP_WAIT_STEPS looks — rather than skip it for good.
      for (let look = 1; isGap && look <= GAP_WAIT_STEPS && gapWaitMs > 0 && !ended; look++) {
        if (events.some((e) => e.seq === lastSent + 1)) break;
        await new Promise((r) => setTimeout(r, gapWaitMs));
        events = await jobs.history(jobId, lastSent);
      }
      for (const event of events) send(event);
    } finally {
      filling = false;
    }
  }

  function fail(): void {
    // A store error mid-stream: drop the connection; the client reconnects with Last-Event-ID.
    if (!res.destroyed) res.destroy();
    end();
  }

  async function run(): Promise<void> {
    res.write(`retry: ${options.retryMs}\n: stream of job ${jobId}\n\n`);
    // From the client's own last event (not sent again), to learn which run it belongs to.
    await fillFromHistory(false, Math.max(0, lastSent - 1));
    filling = true;
    const job = await jobs.get(jobId, { files: DOCUMENT_FILES_MAX });
    if (ended) return;
    const seen = newest as { run: number; type: RunnerEvent['type'] } | null;
    if (!job || isActiveStatus(job.status)) {
      // The live run: the newest one seen, or the next if that one has ended (queued, not started yet).
      endRun = seen === null ? 1 : seen.type === 'job_finished' ? seen.run + 1 : seen.run;
      filling = false;
      drain();
      return;
    }
    endRun = seen?.run ?? 1;
    filling = false;
    drain();
    if (ended) return;
    if (lastType !== 'job_finished') {
      // The job has ended but its `job_finished` was not among the events: it may still be on
      // its way to the store, so look once more before concluding it ended before this server ran.
      await fillFromHistory(false);
      drain();
    }
    if (ended) return;
    if (lastType !== 'job_finished') {
      const finished: JobFinishedEvent = {
        type: 'job_finished',
        job_id: jobId,
        ts: job.finished_at ?? new Date().toISOString(),
        seq: lastSent + 1,
        run: endRun,
        status: job.status,
        job,
      };
      send(finished);
    }
    end();
  }

  run().catch(fail);
  return { done, close: end };
}
