// Makes disk and database agree for one job after a crash, before it is resumed.
//
// The runner records a file BEFORE the downloader renames its `.part` into place
// (src/jobs/source-run.ts), so a process killed in between leaves a record whose file is missing
// and a `<random>.part`. A kill at any other moment leaves `.part` files of the downloads in
// flight. Reconcile therefore:
//   1. drops recorded rows whose file is missing, has the wrong size or (by default) the wrong
//      SHA-256 — a wrong file is deleted too, since its record named it and resume fetches it again;
//   2. deletes the files the job's pending rows name (the Store's in-flight list: the runner
//      registers each `<random>.part` before writing it), then the rows — even in a shared directory;
//   3. deletes `.part` files in the job's directories, and complete media files there that no job
//      recorded and that appeared after the job was created (`<slug>_<NNN>.<ext>` only).
// Decision: an unrecorded complete file is DELETED, not recorded — without its record we do not
// know its URL, candidate or attribution, and resume downloads it again. Jobs with the same query
// share directories (DOWNLOAD_DIR/<slug>/<source>/), so step 3 runs only for a directory no other
// queued or running job uses: their `.part` and not-yet-recorded files are live. Files older than
// the job and files other jobs recorded are never touched.
// Every file is seen through the job's file output (docs/ARCHITECTURE.md, "Seams"), which
// refuses recorded paths that would leave its root.
import { createHash } from 'node:crypto';
import { NotFoundError } from '../core/errors.ts';
import type { JobSourceName, JobSummary, SavedFile } from '../core/types.ts';
import type { FileOutput, StoredFile } from '../output/file-output.ts';
import { querySlug } from '../output/naming.ts';
import type { Store } from '../store/store.ts';

export interface ReconcileOptions {
  /** How recorded files are checked: size only, or size and SHA-256 (reads every file). @default 'sha256' */
  verify?: 'size' | 'sha256';
  /**
   * Only one source run's folder (`<query slug>/<source>`): a source run taken again after its
   * worker died, while other processes run the job's other runs and their files are in flight.
   */
  scope?: { query: string; source: JobSourceName };
}

export interface ReconcileResult {
  /** Recorded files found intact. */
  keptFiles: number;
  /** Rows dropped: file missing, wrong size or wrong hash, or a path outside the output's root. */
  removedRows: number;
  /** Complete files deleted: wrong content, named by a pending row, or unrecorded and made by this job. */
  removedFiles: number;
  /** `.part` leftovers deleted. */
  removedPartFiles: number;
  /** Pending rows cleared. */
  clearedPending: number;
  /** Directories skipped for step 3 because another active job shares them. */
  sharedDirectories: string[];
}

const PART_SUFFIX = '.part';
/** mtime and created_at come from different clocks' rounding: allow a little. */
const CLOCK_SLACK_MS = 2000;

/** Reconciles job `jobId`'s files in `output` (the job's DOWNLOAD_DIR) with its records in `store`. */
export async function reconcileJobFiles(
  output: FileOutput,
  store: Pick<Store, 'jobs' | 'files'>,
  jobId: string,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const job = await store.jobs.get(jobId);
  if (job === null) throw new NotFoundError(`no job ${jobId}`);
  const verify = options.verify ?? 'sha256';
  const result: ReconcileResult = {
    keptFiles: 0,
    removedRows: 0,
    removedFiles: 0,
    removedPartFiles: 0,
    clearedPending: 0,
    sharedDirectories: [],
  };
  const slug = querySlug(options.scope?.query ?? job.query);
  const scopeDir = options.scope ? `${slug}/${options.scope.source}/` : null;
  const inScope = (path: string): boolean => scopeDir === null || path.startsWith(scopeDir);

  // 1. Every recorded file must be there, whole.
  const dropped: SavedFile[] = [];
  for (const file of job.results.files) {
    if (!inScope(file.path)) continue;
    const state = await checkFile(await output.open(file.path), file, verify);
    if (state === 'ok') {
      result.keptFiles++;
      continue;
    }
    dropped.push(file);
    if (state === 'wrong' && (await removeFile(output, file.path))) result.removedFiles++;
    await removeFile(output, `${file.path}.json`); // its metadata sidecar, if --write-metadata wrote one
  }
  if (dropped.length > 0) {
    result.removedRows = await store.files.remove(
      jobId,
      dropped.map((f) => f.path),
    );
    await correctSourceCounts(store, jobId);
  }

  // 2. What the job had in flight, by name.
  const recorded = new Set((await store.jobs.get(jobId))?.results.files.map((f) => f.path) ?? []);
  for (const pending of await store.files.listPending(jobId)) {
    if (!inScope(pending.path)) continue;
    const slash = pending.path.lastIndexOf('/');
    const dirRel = pending.path.slice(0, Math.max(slash, 0));
    const base = pending.path.slice(slash + 1);
    // A path that leaves the root lists nothing: only its row is cleared.
    for (const name of await output.list(dirRel)) {
      if (name !== base && !name.startsWith(`${base}.`)) continue;
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      // A recorded file (and its metadata sidecar) is the job's result, not leftovers.
      if (recorded.has(rel) || (rel.endsWith('.json') && recorded.has(rel.slice(0, -'.json'.length)))) continue;
      if ((await store.files.recordedPaths([rel])).length > 0) continue;
      if (await removeFile(output, rel)) {
        if (name.endsWith(PART_SUFFIX)) result.removedPartFiles++;
        else result.removedFiles++;
      }
    }
    await store.files.removePending(jobId, pending.path);
    result.clearedPending++;
  }

  // 3. Leftovers in directories only this job uses right now.
  const othersActive = await activeJobsSharing(store, jobId, slug);
  const pendingOfOthers = new Set(
    (await store.files.listPending()).filter((p) => p.job_id !== jobId).map((p) => p.path),
  );
  const createdMs = Date.parse(job.created_at);
  const ownName = new RegExp(`^${slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_\\d+\\.[A-Za-z0-9]+$`);
  for (const source of options.scope ? [options.scope.source] : job.sources) {
    const dirRel = `${slug}/${source}`;
    if (othersActive.some((j) => j.sources.includes(source))) {
      result.sharedDirectories.push(dirRel);
      continue;
    }
    const names = await output.list(dirRel);
    const candidates = names.filter((n) => ownName.test(n) && !recorded.has(`${dirRel}/${n}`));
    const recordedElsewhere = new Set(await store.files.recordedPaths(candidates.map((n) => `${dirRel}/${n}`)));
    for (const name of names) {
      const rel = `${dirRel}/${name}`;
      if (name.endsWith(PART_SUFFIX)) {
        if (await removeFile(output, rel)) result.removedPartFiles++;
        continue;
      }
      if (!ownName.test(name) || recorded.has(rel) || recordedElsewhere.has(rel) || pendingOfOthers.has(rel)) continue;
      const info = await output.open(rel);
      if (info === null || info.mtimeMs < createdMs - CLOCK_SLACK_MS) continue;
      if (await removeFile(output, rel)) result.removedFiles++;
    }
  }
  return result;
}

/** Other queued or running jobs whose files go to the same query folder. */
async function activeJobsSharing(store: Pick<Store, 'jobs'>, jobId: string, slug: string): Promise<JobSummary[]> {
  const active: JobSummary[] = [];
  for (const status of ['running', 'queued'] as const) {
    for (let offset = 0; ; offset += 500) {
      const page = await store.jobs.list({ status, limit: 500, offset });
      active.push(...page);
      if (page.length < 500) break;
    }
  }
  return active.filter((j) => j.job_id !== jobId && querySlug(j.query) === slug);
}

/** After rows were dropped, the per-source counters follow the files that remain. */
async function correctSourceCounts(store: Pick<Store, 'jobs'>, jobId: string): Promise<void> {
  const job = await store.jobs.get(jobId);
  if (job === null) return;
  for (const [source, stats] of Object.entries(job.results.source_stats)) {
    const mine = job.results.files.filter((f) => f.source === source);
    const images = mine.filter((f) => f.kind === 'image').length;
    const bytes = mine.reduce((sum, f) => sum + f.bytes, 0);
    if (stats.downloaded === mine.length && stats.images === images && stats.bytes === bytes) continue;
    await store.jobs.saveSourceStats(jobId, source as SavedFile['source'], {
      ...stats,
      downloaded: mine.length,
      images,
      videos: mine.length - images,
      bytes,
    });
  }
}

async function checkFile(
  stored: StoredFile | null,
  file: SavedFile,
  verify: 'size' | 'sha256',
): Promise<'ok' | 'missing' | 'wrong'> {
  if (stored === null) return 'missing';
  if (stored.size !== file.bytes) return 'wrong';
  if (verify === 'sha256' && (await sha256Of(stored)) !== file.sha256) return 'wrong';
  return 'ok';
}

async function sha256Of(stored: StoredFile): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stored.read()) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Deletes `path` from `output`; false when it was not there or could not be deleted (reconcile goes on). */
async function removeFile(output: FileOutput, path: string): Promise<boolean> {
  try {
    return await output.remove(path);
  } catch {
    return false;
  }
}
