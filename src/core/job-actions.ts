// Which jobs may be cancelled, retried or resumed, in one place: the job service enforces these
// rules and the HTTP routes answer 409 with the same words before they ask it.
import type { JobStatus } from './types.ts';

/** Statuses in which a job still runs or waits to run. */
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['queued', 'running'];
/** Statuses of a job that ended on its own or by a cancel (`interrupted` did not end: resume it). */
export const ENDED_JOB_STATUSES: readonly JobStatus[] = ['completed', 'partial', 'failed', 'cancelled'];
/** Statuses a job can be resumed from: it stopped before every source ended. */
const RESUMABLE_STATUSES: readonly JobStatus[] = ['interrupted', 'cancelled'];

export function isActiveStatus(status: string): boolean {
  return (ACTIVE_JOB_STATUSES as readonly string[]).includes(status);
}

export type JobAction = 'cancel' | 'retry' | 'resume';

/** What a precondition needs to know of a job. */
export interface JobActionSubject {
  job_id: string;
  status: JobStatus;
  results: { failed_sources: readonly string[] };
}

/** Why `action` cannot be applied to `job` now (a sentence for a 409 or the CLI), or null when it can. */
export function jobActionRefusal(action: JobAction, job: JobActionSubject): string | null {
  const { job_id: id, status } = job;
  switch (action) {
    case 'cancel':
      return isActiveStatus(status) ? null : `job ${id} is ${status}: only a queued or running job can be cancelled`;
    case 'resume':
      if (RESUMABLE_STATUSES.includes(status)) return null;
      return (
        `job ${id} is ${status}: only an interrupted or cancelled job can be resumed` +
        (ENDED_JOB_STATUSES.includes(status) ? ' (retry reruns its failed sources)' : '')
      );
    case 'retry':
      if (isActiveStatus(status)) return `job ${id} is ${status}: wait for it to end before retrying`;
      if (!ENDED_JOB_STATUSES.includes(status))
        return `job ${id} is ${status}: only an ended job can be retried (resume it instead)`;
      return job.results.failed_sources.length === 0 ? noFailedSource(id) : null;
  }
}

/** The refusal of a retry with nothing to run again. */
export function noFailedSource(jobId: string): string {
  return `job ${jobId} has no failed source to retry`;
}
