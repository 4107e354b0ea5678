// The document of a job that was just accepted (status `queued`, every source pending), the same
// for the in-process queue (./job-manager.ts) and the distributed one (src/queue/).
import { randomUUID } from 'node:crypto';
import { jobResults, queryStatsOf } from '../core/job-results.ts';
import { emptySourceStats, specQueries, type JobDocument, type JobSpec } from '../core/types.ts';

export function newJobDocument(spec: JobSpec): JobDocument {
  const queries = specQueries(spec);
  return {
    job_id: randomUUID(),
    status: 'queued',
    query: spec.query,
    sources: spec.sources,
    queries,
    limit: spec.limit,
    type: spec.type,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    duration_ms: null,
    results: jobResults(
      Object.fromEntries(spec.sources.map((s) => [s, emptySourceStats()])),
      spec.sources,
      [],
      queryStatsOf(queries, []),
    ),
  };
}
