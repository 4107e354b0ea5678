// Prometheus gauges of the distributed mode: the queue as a server sees it (job runs waiting for
// a slot, source runs waiting, active and failed, live workers and each one's gauges), and a
// worker's own figures for its `--metrics-port` endpoint.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueState } from './intake.ts';
import type { WorkerGauges } from './worker.ts';
import { within } from './within.ts';

const RUN_STATES = ['waiting', 'active', 'failed'] as const;

/** How long /api/health and /metrics wait for the queue's state, ms: Redis's commands wait for a reconnect. */
export const QUEUE_STATE_TIMEOUT_MS = 2_000;

/**
 * The queue's state, or an error when it has not come within `ms` — while Redis is away its
 * commands wait for the reconnect, and a health check or a scrape must answer rather than hang.
 */
export function queueStateWithin(state: () => Promise<QueueState>, ms: number): () => Promise<QueueState> {
  return () => within(state(), ms, `Redis did not answer within ${ms / 1000} s`);
}

/**
 * Adds the queue's gauges to a server's registry; each scrape reads the queue once. When the
 * queue cannot be read, `harvester_queue_up` is 0 and the queue's gauges have no series (the
 * rest of the scrape is unaffected).
 */
export function registerQueueMetrics(registry: Registry, state: () => Promise<QueueState>): void {
  // One read per scrape, shared by the gauges that collect during it.
  let current: Promise<QueueState | null> | null = null;
  const read = (): Promise<QueueState | null> => {
    current ??= state()
      .catch(() => null)
      .finally(() => setTimeout(() => (current = null), 100).unref());
    return current;
  };
  new Gauge({
    name: 'harvester_queue_up',
    help: 'Whether the cluster queue (Redis) answered this scrape: 1, or 0',
    registers: [registry],
    async collect() {
      this.set((await read()) === null ? 0 : 1);
    },
  });
  new Gauge({
    name: 'harvester_queue_jobs',
    help: 'Job runs in the cluster queue: waiting for a slot, or holding one',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      const s = await read();
      if (s === null) return;
      this.set({ state: 'waiting' }, s.jobs.waiting);
      this.set({ state: 'active' }, s.jobs.active);
    },
  });
  new Gauge({
    name: 'harvester_queue_source_runs',
    help: 'Source runs in the cluster queue by state (failed: failed for good, kept a day)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      const s = await read();
      if (s === null) return;
      for (const state of RUN_STATES) this.set({ state }, s.runs[state]);
    },
  });
  new Gauge({
    name: 'harvester_queue_workers',
    help: 'Live worker processes (a heartbeat within the last seconds)',
    registers: [registry],
    async collect() {
      const s = await read();
      if (s === null) this.reset();
      else this.set(s.workers.length);
    },
  });
  workerGauges(registry, async () => (await read())?.workers ?? []);
}

/**
 * prom-client's default set has three gauges named `…_total` (a count of what is open now, the
 * sum of the same gauge's by-type series); they break the convention promtool checks and add nothing.
 */
const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The process's own figures (CPU, memory, event loop) under `harvester_`, the same names on a
 * server and a worker: each process is its own scrape target, told apart by its `instance`.
 */
export function collectProcessMetrics(registry: Registry): void {
  const prefix = 'harvester_';
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(prefix + name);
}

/** A worker process's own registry (`harvester worker --metrics-port`). */
export function workerRegistry(gauges: () => WorkerGauges): Registry {
  const registry = new Registry();
  collectProcessMetrics(registry);
  workerGauges(registry, async () => [gauges()]);
  return registry;
}

function workerGauges(registry: Registry, read: () => Promise<WorkerGauges[]>): void {
  const perWorker = (name: string, help: string, pick: (w: WorkerGauges) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const w of await read()) this.set({ worker: w.worker }, pick(w));
      },
    });
  };
  perWorker('harvester_worker_active_source_runs', 'Source runs a worker is running now', (w) => w.active_runs);
  perWorker('harvester_worker_concurrency', 'Source runs a worker takes at once', (w) => w.concurrency);
  perWorker(
    'harvester_worker_completed_source_runs',
    'Source runs a worker finished since it started',
    (w) => w.completed_runs,
  );
  perWorker(
    'harvester_worker_failed_source_runs',
    'Source runs that failed on a worker since it started',
    (w) => w.failed_runs,
  );
}
