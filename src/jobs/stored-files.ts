// One page of a job's files as the store has them, and how many there are; null for an unknown
// job. Shared by the in-process intake (for jobs it does not run) and the distributed one.
import type { SavedFile } from '../core/types.ts';
import type { Store } from '../store/store.ts';

export async function storedFilesPage(
  store: Pick<Store, 'files' | 'jobs'>,
  jobId: string,
  page: { offset: number; limit: number },
): Promise<{ total: number; files: SavedFile[] } | null> {
  // The store answers in one read: the count and the page agree.
  const total = await store.files.count(jobId);
  if (total === 0 && (await store.jobs.get(jobId, { files: 0 })) === null) return null;
  return { total, files: await store.files.list(jobId, page) };
}
