// The files of a job as its runner keeps them while it runs: how many, how many are images, and
// the first DOCUMENT_FILES_MAX of them (the page that the API's document and `job_finished`
// list). Every file is in the store, recorded before it is listed here, so readers page the rest
// from there. Keeping no more than this is what keeps a job's memory flat however many files it
// saves (at 20,000 files the whole list was most of the live heap, and V8 lets the heap
// grow to several times what is live).
import { DOCUMENT_FILES_MAX, type JobResults, type SavedFile } from '../core/types.ts';

/** Where a file was listed: its index then, and how many files had been unlisted before it. */
export interface Listing {
  at: number;
  unlistedBefore: number;
}

export class JobFileList {
  /** Indexes of unlisted files, in the order they were unlisted (rare: a rename that failed). */
  private readonly unlisted: number[] = [];

  /**
   * Takes over `results`: its `files` (the whole list of a job read from the store, or a page
   * with `files_total`) become the first page, and its totals are kept current as files come and go.
   * `firstPage` reads the first page again from the store after a file of it was unlisted.
   */
  constructor(
    private readonly results: JobResults,
    private readonly firstPage: () => Promise<SavedFile[]>,
  ) {
    const counts = fileCounts(results);
    results.files = results.files.slice(0, DOCUMENT_FILES_MAX);
    this.setCounts(counts.files, counts.images);
  }

  /** How many files the job has. */
  get count(): number {
    return this.results.files_total ?? 0;
  }

  /** Lists a file just recorded in the store, as its last. */
  add(file: SavedFile): Listing {
    const at = this.count;
    if (at < DOCUMENT_FILES_MAX) this.results.files.push(file);
    this.setCounts(at + 1, this.results.images + (file.kind === 'image' ? 1 : 0));
    return { at, unlistedBefore: this.unlisted.length };
  }

  /** The index of a listed file now (files listed before it may have been unlisted since). */
  indexOf(listing: Listing): number {
    let index = listing.at;
    for (let i = listing.unlistedBefore; i < this.unlisted.length; i++) if (this.unlisted[i]! < index) index--;
    return index;
  }

  /** Unlists a file whose record was removed from the store; files listed after it move up by one. */
  async remove(listing: Listing, file: SavedFile): Promise<void> {
    const index = this.indexOf(listing);
    this.unlisted.push(index);
    this.setCounts(this.count - 1, this.results.images - (file.kind === 'image' ? 1 : 0));
    if (index < DOCUMENT_FILES_MAX) this.results.files = await this.firstPage();
  }

  private setCounts(files: number, images: number): void {
    const r = this.results;
    r.files_total = files;
    r.downloaded = files;
    r.images = images;
    r.videos = files - images;
  }
}

/** How many files `results` accounts for and how many are images, whether it lists them all or a page. */
export function fileCounts(results: Pick<JobResults, 'files' | 'files_total' | 'images'>): {
  files: number;
  images: number;
} {
  if (results.files_total !== undefined) return { files: results.files_total, images: results.images };
  return { files: results.files.length, images: results.files.filter((f) => f.kind === 'image').length };
}
