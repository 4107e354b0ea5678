// Saving one candidate of a source run: download it into a `.part`, record the file in the
// store, then let the downloader rename it into place; undo the record if the rename fails.
import { performance } from 'node:perf_hooks';
import { CancelledError, errorMessage } from '../core/errors.ts';
import type { FilterReason, JobSourceName, MediaCandidate, SavedFile } from '../core/types.ts';
import { URLS_SOURCE } from '../core/types.ts';
import { downloadFile } from '../download/index.ts';
import type { MediaSink } from '../output/file-output.ts';
import { mediaFileName } from '../output/naming.ts';
import type { RetryInfo } from '../http/types.ts';
import { nextFileNumber } from './file-numbering.ts';
import type { Listing } from './job-file-list.ts';
import { judgeFile } from './judge-file.ts';
import type { JobRunShared, QueryRun } from './source-run-context.ts';

/** Where and under which rules one source run saves its files. */
export interface SaveTarget {
  job: JobRunShared;
  sourceId: JobSourceName;
  queryRun: QueryRun;
  /** The source run's deadline (and the job's cancel). */
  signal: AbortSignal;
  /** The folder of this source and query, relative to the output's root, as file records name it. */
  relativeDir: string;
  sink: MediaSink;
  /** Whether another job already saved a file with this content (the download archive). */
  archived(query: { sha256: string }): Promise<boolean>;
  onRetry(info: RetryInfo): void;
}

/** How saving a candidate ended. */
export type SaveOutcome =
  | { status: 'saved'; file: SavedFile; index: number }
  /** Same content as a file of this job (`duplicate`) or of another job (`existing`). */
  | { status: 'duplicate' | 'existing' }
  /** Failed a filter on its real dimensions, or is a near-duplicate of a kept image: deleted. */
  | { status: 'filtered'; reason: FilterReason }
  | { status: 'near_duplicate' }
  /** Cut by the deadline or a cancel: not a failure of the download. */
  | { status: 'cut' }
  | { status: 'failed'; error: string };

/** Saves `candidate` under `target`. Never throws. */
export async function saveCandidate(target: SaveTarget, candidate: MediaCandidate): Promise<SaveOutcome> {
  const { job, signal } = target;
  const { config } = job;
  const startedMs = performance.now();
  // Every `.part` is a pending file of the job until the download settles, so that after a
  // crash reconcile knows which partial files are this job's to delete.
  const pending: string[] = [];
  let partPath = '';
  const sink: MediaSink = {
    open: async () => {
      const part = await target.sink.open();
      const path = `${target.relativeDir}/${part.name}`;
      try {
        await job.store.files.addPending(job.jobId, path);
      } catch (error) {
        await part.discard();
        throw error;
      }
      pending.push(path);
      partPath = part.path;
      return part;
    },
  };
  // Why `commit` turned the file down (set inside the callback, read after the download).
  let discarded: Exclude<SaveOutcome, { status: 'saved' | 'cut' | 'failed' }> = { status: 'duplicate' };
  let recorded: SavedFile | null = null;
  /** Where `recorded` was listed (files listed after it move up when an earlier one is unrecorded). */
  let listing: Listing | null = null;
  // A perceptual hash this download claimed as kept: released if the file is not saved after all.
  let claimed: string | null = null;
  let recordedExt = '';
  /**
   * Records `file` under the next number of its folder and lists it; returns its file name. The
   * number is not looked up on disk: the rename refuses a name another process wrote since the
   * folder was scanned (never overwriting it), and `renamed` below moves the record on.
   */
  const recordUnderNextNumber = async (file: SavedFile, ext: string): Promise<string> => {
    const slug = target.queryRun.slug;
    recordedExt = ext;
    const fileName = mediaFileName(slug, await nextFileNumber(job.output, target.relativeDir, slug), ext);
    file.path = `${target.relativeDir}/${fileName}`;
    recorded = file;
    await job.store.files.record(job.jobId, file);
    // Listed in the order recorded, so the live document, the store's and the numbering agree.
    listing = job.files.add(file);
    return fileName;
  };
  try {
    const outcome = await downloadFile(job.http, {
      url: candidate.url,
      headers: candidate.headers,
      sink,
      // `urls` candidates are a guess from the extension: let the bytes decide.
      kind: target.sourceId === URLS_SOURCE ? undefined : candidate.kind,
      signal,
      timeoutMs: config.downloadTimeoutMs,
      stallTimeoutMs: config.stallTimeoutMs,
      minBytesPerSecond: config.minDownloadSpeed,
      maxBytes: config.maxFileSizeBytes,
      retries: config.maxRetriesPerDownload,
      onRetry: (info) => target.onRetry(info),
      // Durability order: the file is recorded in the store BEFORE the downloader renames
      // `.part` into place. A crash between the two leaves a record whose file is missing
      // (only its `.part`, or nothing): reconcile drops such records and the `.part`, and
      // resume downloads the file again. The other order would leave a complete file on disk
      // that no record knows, which reconcile could only delete or leave unaccounted for.
      commit: async (info) => {
        if (job.seenSha.has(info.sha256)) return null;
        job.seenSha.add(info.sha256);
        if (job.claimSha && !(await job.claimSha(info.sha256))) return null;
        if (await target.archived({ sha256: info.sha256 })) {
          discarded = { status: 'existing' };
          return null;
        }
        const judgement = await judgeFile(job, { ...info, partPath });
        if (judgement.status !== 'keep') {
          discarded = judgement;
          return null;
        }
        claimed = judgement.phash;
        // The deadline may have fired while the archive was asked: do not record a file now.
        signal.throwIfAborted();
        const file: SavedFile = {
          path: '',
          query: target.queryRun.query,
          source: target.sourceId,
          kind: info.kind,
          url: candidate.url,
          candidate_id: candidate.id,
          bytes: info.bytes,
          sha256: info.sha256,
          mime: info.mime,
          width: judgement.width,
          height: judgement.height,
          title: candidate.title ?? null,
          page_url: candidate.pageUrl ?? null,
          thumbnail_url: candidate.thumbnailUrl ?? null,
          author: candidate.author ?? null,
          license: candidate.license ?? null,
          license_url: candidate.licenseUrl ?? null,
          phash: judgement.phash,
          duration_ms: Math.round(performance.now() - startedMs),
          saved_at: new Date().toISOString(),
        };
        return recordUnderNextNumber(file, info.ext);
      },
      // Another process wrote a file under the recorded name since the folder was scanned: the
      // record moves to the next free number (rare: two processes saving into one folder).
      renamed: async () => {
        const file = recorded!;
        await job.store.files.remove(job.jobId, [file.path]);
        if (listing !== null) await job.files.remove(listing, file);
        listing = null;
        recorded = null;
        return recordUnderNextNumber({ ...file }, recordedExt);
      },
    });
    if (outcome.status === 'duplicate') return discarded;
    return { status: 'saved', file: recorded!, index: job.files.indexOf(listing as unknown as Listing) };
  } catch (error) {
    if (claimed !== null) job.nearDuplicates.release(claimed);
    if (recorded !== null) {
      // Recorded, then the rename failed or was cut: the record must not outlive the file.
      // (Rare: a disk error, a deadline. Files listed after this one move up by one.)
      const path = (recorded as SavedFile).path;
      await job.store.files
        .remove(job.jobId, [path])
        .catch((e: unknown) => job.warn(`cannot unrecord ${path}: ${errorMessage(e)}`));
      const listed = listing as Listing | null;
      if (listed !== null) {
        await job.files
          .remove(listed, recorded)
          .catch((e: unknown) => job.warn(`cannot read the job's first files again: ${errorMessage(e)}`));
      }
    }
    // Cut by the source's deadline or a cancel: not a failure of this download.
    if (signal.aborted || error instanceof CancelledError) return { status: 'cut' };
    return { status: 'failed', error: errorMessage(error) };
  } finally {
    // The `.part` is gone now (renamed into place or deleted by the downloader).
    for (const path of pending) {
      await job.store.files
        .removePending(job.jobId, path)
        .catch((e: unknown) => job.warn(`cannot clear pending ${path}: ${errorMessage(e)}`));
    }
  }
}
