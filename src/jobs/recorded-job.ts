// A recorded job as the intakes (./job-manager.ts, src/queue/intake.ts) read and claim it:
// its document and spec or NotFoundError, and the atomic claim of an ended or interrupted job
// for a resume or retry (of two processes doing it at once, exactly one gets it).
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { JobDocument, JobSpec, JobStatus } from '../core/types.ts';
import type { Store } from '../store/store.ts';

export async function mustGetJob(
  store: Pick<Store, 'jobs'>,
  jobId: string,
  options: { files?: number } = {},
): Promise<JobDocument> {
  const doc = await store.jobs.get(jobId, options);
  if (doc === null) throw new NotFoundError(`no job ${jobId}`);
  return doc;
}

export async function mustGetSpec(store: Pick<Store, 'jobs'>, jobId: string): Promise<JobSpec> {
  const spec = await store.jobs.getSpec(jobId);
  if (spec === null) throw new NotFoundError(`no job ${jobId}`);
  return spec;
}

export async function claimJob(store: Pick<Store, 'jobs'>, jobId: string, from: JobStatus): Promise<void> {
  if (!(await store.jobs.transition(jobId, [from], 'queued'))) {
    throw new ConflictError(`job ${jobId} is no longer ${from}: another process took it`);
  }
}
