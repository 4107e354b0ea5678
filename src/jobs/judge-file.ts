// What happens to a downloaded file before it is kept: its real dimensions read (an image's
// header, a video's container header: ../download/video-dimensions.ts), the job's filters on
// them (whatever the candidate claimed), then, for images of a search job, its perceptual hash and the
// near-duplicate decision. A file that fails is never recorded; the downloader deletes its `.part`.
// Filters come first, so a filtered picture is never also counted as a near-duplicate.
import type { FilterReason, MediaKind } from '../core/types.ts';
import { imageSizeOfFile } from '../download/perceptual-hash.ts';
import { videoSizeOfFile } from '../download/video-dimensions.ts';
import { fileFailure, needsDimensions } from './filters.ts';
import type { JobRunShared } from './source-run-context.ts';

/** The downloaded file as the downloader describes it, and where its bytes are. */
export interface DownloadedFile {
  kind: MediaKind;
  width: number | null;
  height: number | null;
  /** The `.part` holding the bytes. */
  partPath: string;
}

export type Judgement =
  /** Kept: its hash is claimed (release it if the file is not saved after all). */
  | { status: 'keep'; phash: string | null; width: number | null; height: number | null }
  | { status: 'filtered'; reason: FilterReason }
  | { status: 'near_duplicate' };

export async function judgeFile(
  job: Pick<JobRunShared, 'filters' | 'nearDuplicates' | 'warn'>,
  file: DownloadedFile,
): Promise<Judgement> {
  let { width, height } = file;
  const image = file.kind === 'image';
  // A video's size is always read (a few small reads of its header) and recorded.
  if (!image && width === null) ({ width, height } = await videoSizeOfFile(file.partPath));
  if (job.filters !== null) {
    // The downloader reads the common image headers; sharp reads the rest.
    if (image && width === null && needsDimensions(job.filters))
      ({ width, height } = await imageSizeOfFile(file.partPath));
    const failed = fileFailure(job.filters, width, height);
    if (failed !== null) return { status: 'filtered', reason: failed };
  }
  if (!image || !job.nearDuplicates.hashing) return { status: 'keep', phash: null, width, height };
  const phash = await job.nearDuplicates.hash(file.partPath, job.warn);
  if (phash !== null && !job.nearDuplicates.claim(phash)) return { status: 'near_duplicate' };
  return { status: 'keep', phash, width, height };
}
