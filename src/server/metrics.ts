// Prometheus metrics (GET /metrics) on a registry of our own, so two apps in one process (tests)
// never collide. Job, file and source figures come from the runner's events; HTTP durations from
// an onResponse hook labelled by route pattern (not the raw URL, which would explode cardinality).
// Names follow Prometheus conventions, which `promtool check metrics` checks: one prefix, base
// units last and then `_total` on counters only; gauges say what is true now.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { RunnerEvent } from '../core/events.ts';
import type { JobService } from '../jobs/service.ts';
import { ACTIVE_JOB_STATUSES, isActiveStatus } from '../core/job-actions.ts';
import { JOB_STATUSES } from '../core/types.ts';
import { collectProcessMetrics } from '../queue/metrics.ts';

export interface ServerMetrics {
  registry: Registry;
  /** Feeds one runner event into the counters. */
  observe(event: RunnerEvent): void;
  /** Times every HTTP request of `app`. */
  instrument(app: FastifyInstance): void;
}

/** How a job run can end: every status but the active ones. */
const FINAL_JOB_STATUSES = JOB_STATUSES.filter((s) => !isActiveStatus(s));

export function createMetrics(jobs: JobService): ServerMetrics {
  const registry = new Registry();
  collectProcessMetrics(registry);

  new Gauge({
    name: 'harvester_jobs',
    help: 'Jobs queued or running now, by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      for (const status of ACTIVE_JOB_STATUSES) {
        const active = await jobs.list({ status, limit: 10_000 });
        this.set({ status }, active.length);
      }
    },
  });
  const jobsFinished = new Counter({
    name: 'harvester_jobs_finished_total',
    help: 'Job runs that ended since the server started, by final status',
    labelNames: ['status'],
    registers: [registry],
  });
  // Every status from the first scrape, so rate() and absent() see a series before the first job ends.
  for (const status of FINAL_JOB_STATUSES) jobsFinished.inc({ status }, 0);
  const filesSaved = new Counter({
    name: 'harvester_files_saved_total',
    help: 'Media files saved, by source and kind',
    labelNames: ['source', 'kind'],
    registers: [registry],
  });
  const bytesSaved = new Counter({
    name: 'harvester_saved_bytes_total',
    help: 'Bytes of media saved, by source',
    labelNames: ['source'],
    registers: [registry],
  });
  const filesFailed = new Counter({
    name: 'harvester_files_failed_total',
    help: 'Media downloads that failed for good, by source',
    labelNames: ['source'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'harvester_retries_total',
    help: 'Retries, by source and phase',
    labelNames: ['source', 'phase'],
    registers: [registry],
  });
  const sourceDuration = new Histogram({
    name: 'harvester_source_duration_seconds',
    help: 'Wall time of one source in one job, by source and final status',
    labelNames: ['source', 'status'],
    buckets: [0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers: [registry],
  });
  const downloadDuration = new Histogram({
    name: 'harvester_download_duration_seconds',
    help: 'Time to download one saved file, by source',
    labelNames: ['source'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'harvester_http_request_duration_seconds',
    help: 'HTTP requests served, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  return {
    registry,
    observe(event) {
      switch (event.type) {
        case 'file_saved':
          filesSaved.inc({ source: event.source, kind: event.file.kind });
          bytesSaved.inc({ source: event.source }, event.file.bytes);
          if (Number.isFinite(event.file.duration_ms))
            downloadDuration.observe({ source: event.source }, event.file.duration_ms / 1000);
          break;
        case 'file_failed':
          filesFailed.inc({ source: event.source });
          break;
        case 'retry':
          retries.inc({ source: event.source, phase: event.phase });
          break;
        case 'source_finished':
          sourceDuration.observe({ source: event.source, status: event.stats.status }, event.stats.duration_ms / 1000);
          break;
        case 'job_finished':
          jobsFinished.inc({ status: event.status });
          break;
        default:
          break;
      }
    },
    instrument(app) {
      app.addHook('onResponse', async (request, reply) => {
        // Unmatched URLs share one label so probing random paths cannot grow the series.
        const route = request.routeOptions.url ?? 'unmatched';
        httpDuration.observe(
          { method: request.method, route, status_code: String(reply.statusCode) },
          reply.elapsedTime / 1000,
        );
      });
    },
  };
}
