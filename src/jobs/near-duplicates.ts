// Near-duplicates of a search job: every saved image gets a 64-bit perceptual hash, and an image
// within NEAR_DUPLICATE_DISTANCE bits of one the job already kept (any source, any query) is the
// same picture and is dropped.
//
// Thumbnail first: before an image candidate is downloaded, its thumbnail (when the source gives
// one, and the file does not declare itself thumbnail-sized) is fetched and hashed. A picture the
// job already kept is then not downloaded at all; and the copies of one picture known before
// download form a group in which only the best copy downloads — the larger (declared width ×
// height), at equal size the better licence (`licenseRank`) — while the others wait: when it is
// saved they are near-duplicates, when it fails the next best downloads, and a better copy that
// arrives meanwhile cuts a worse copy's download. A file already saved is never replaced: it has
// been reported, numbered and listed (the API and the UI address it by its index), and may be in
// use; so a better copy that arrives after it is dropped too. The bench (Perceptual hashing in
// bench/RESULTS.md) weighs the thumbnail's extra request against the transfers it saves.
//
// The keep-decision on the file is `claim`: one synchronous look-up-and-insert. JavaScript runs it
// to the end before any other worker of the job resumes, so two workers that finish the same
// picture at once cannot both keep it; the later one sees the earlier one's hash.
import type { Config } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import { licenseRank, normalizeLicense } from '../core/license.ts';
import type { JobSpec, MediaCandidate } from '../core/types.ts';
import { URLS_SOURCE } from '../core/types.ts';
import { phashOfFile } from '../download/perceptual-hash.ts';
import type { HttpClient } from '../http/types.ts';

/** A thumbnail larger than this is not worth hashing first: the transfer it would save is not much larger. */
const MAX_THUMBNAIL_BYTES = 512 * 1024;
/** A thumbnail gets at most this long (and never past the source's deadline). */
const THUMBNAIL_TIMEOUT_MS = 5000;
/** A file declared this small (pixels) is about a thumbnail's size: it is downloaded without one first. */
const SMALL_FILE_AREA = 320 * 320;

/**
 * 64-bit hashes kept as two 32-bit halves in growing typed arrays. For distances under 8 the
 * look-up is a multi-index one: two hashes within 7 bits agree exactly on at least one of their 8
 * bytes (pigeonhole), so only the hashes sharing a byte at the same position are compared — about
 * 8/256 of them — instead of every kept hash. Larger distances scan everything.
 */
class HashIndex {
  private high = new Uint32Array(256);
  private low = new Uint32Array(256);
  private alive = new Uint8Array(256);
  private count = 0;
  /** Per byte position and value (8 × 256), the entries with that byte there; null: scan. */
  private readonly buckets: number[][] | null;

  constructor(private readonly distance: number) {
    this.buckets = distance < 8 ? Array.from({ length: 8 * 256 }, () => []) : null;
  }

  /** Whether a live hash within `distance` bits of `phash` is kept. */
  has(phash: string): boolean {
    const [h, l] = halves(phash);
    if (this.buckets === null) {
      for (let i = 0; i < this.count; i++) if (this.near(i, h, l)) return true;
      return false;
    }
    for (const key of bucketKeys(h, l)) {
      for (const i of this.buckets[key]!) if (this.near(i, h, l)) return true;
    }
    return false;
  }

  private near(i: number, h: number, l: number): boolean {
    return this.alive[i] === 1 && popcount(this.high[i]! ^ h) + popcount(this.low[i]! ^ l) <= this.distance;
  }

  add(phash: string): void {
    if (this.count === this.high.length) {
      const grow = <T extends Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.high = grow(this.high, (n) => new Uint32Array(n));
      this.low = grow(this.low, (n) => new Uint32Array(n));
      this.alive = grow(this.alive, (n) => new Uint8Array(n));
    }
    const [h, l] = halves(phash);
    const i = this.count++;
    this.high[i] = h;
    this.low[i] = l;
    this.alive[i] = 1;
    if (this.buckets !== null) for (const key of bucketKeys(h, l)) this.buckets[key]!.push(i);
  }

  /** Forgets one entry equal to `phash` (a kept file whose saving failed afterwards). */
  remove(phash: string): void {
    const [h, l] = halves(phash);
    for (let i = this.count - 1; i >= 0; i--) {
      if (this.alive[i] === 1 && this.high[i] === h && this.low[i] === l) {
        // A tombstone: bucket lists keep their indexes.
        this.alive[i] = 0;
        return;
      }
    }
  }
}

/** The bucket of each of a hash's 8 bytes: position × 256 + value. */
function bucketKeys(h: number, l: number): number[] {
  const keys: number[] = [];
  for (let b = 0; b < 4; b++) keys.push(b * 256 + ((h >>> (b * 8)) & 0xff), (4 + b) * 256 + ((l >>> (b * 8)) & 0xff));
  return keys;
}

function halves(phash: string): [number, number] {
  return [Number.parseInt(phash.slice(0, 8), 16) >>> 0, Number.parseInt(phash.slice(8, 16), 16) >>> 0];
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** What makes one copy of a picture better than another: its declared size, then its licence. */
export interface CopyQuality {
  /** Width × height in pixels as the candidate declares them; 0 when it does not. */
  area: number;
  /** `licenseRank` of its licence (../core/license.ts). */
  licenseRank: number;
}

export function qualityOf(candidate: MediaCandidate): CopyQuality {
  const area = (candidate.width ?? 0) * (candidate.height ?? 0);
  return {
    area: Number.isFinite(area) && area > 0 ? area : 0,
    licenseRank: licenseRank(normalizeLicense(candidate.license, candidate.licenseUrl)),
  };
}

/** The larger copy; at equal size, the better-licensed one. */
export function isBetter(a: CopyQuality, b: CopyQuality): boolean {
  return a.area > b.area || (a.area === b.area && a.licenseRank > b.licenseRank);
}

/** How one download of a copy ended, as the group of its picture needs to know. */
export type CopyOutcome =
  /** Saved, or its file turned out to be a picture the job already has: the group is done. */
  | 'has_picture'
  /** Not saved (failed, filtered, another job has it): the next best copy gets its turn. */
  | 'not_saved'
  /** Cut by a better copy that arrived while it downloaded: it waits for its turn again. */
  | 'superseded';

/** Whose turn it is, as a waiting copy learns it. */
export type Turn = 'download' | 'near_duplicate' | 'cut';

/**
 * The copies of one picture known before download (their thumbnails hash within the distance):
 * the best one downloads, the others wait; when it is saved they are near-duplicates, when it is
 * not the next best downloads. A better copy that arrives while a worse one downloads cuts that
 * download (which then waits again), so the transfer goes to the copy that will be kept.
 */
class PictureGroup {
  readonly members = new Set<Copy>();
  downloading: Copy | null = null;
  done = false;

  constructor(
    readonly h: number,
    readonly l: number,
  ) {}

  /** Gives the turn to the best waiting copy, cutting a worse download; ends waiting copies when done. */
  schedule(): void {
    const waiting = [...this.members].filter((m) => m.waiting !== null);
    if (this.done) {
      for (const m of waiting) m.wake('near_duplicate');
      this.downloading?.supersede();
      return;
    }
    let best: Copy | null = null;
    for (const m of waiting) if (best === null || isBetter(m.quality, best.quality)) best = m;
    if (best === null) return;
    if (this.downloading !== null) {
      if (!isBetter(best.quality, this.downloading.quality)) return;
      this.downloading.supersede();
    }
    this.downloading = best;
    best.wake('download');
  }
}

/** One candidate's place in the group of its picture. */
export class Copy {
  /** Resolves the turn this copy waits for; null while it is not waiting. */
  waiting: ((turn: Turn) => void) | null = null;
  private cut = new AbortController();

  constructor(
    private readonly group: PictureGroup,
    readonly quality: CopyQuality,
    private readonly leave: (group: PictureGroup) => void,
  ) {}

  /** Aborted when a better copy takes over this copy's download (or the picture is kept elsewhere). */
  get signal(): AbortSignal {
    return this.cut.signal;
  }

  get superseded(): boolean {
    return this.cut.signal.aborted;
  }

  /** Waits until this copy may download, is a near-duplicate, or `signal` (the source's deadline) fires. */
  turn(signal: AbortSignal): Promise<Turn> {
    if (signal.aborted) return Promise.resolve('cut');
    return new Promise<Turn>((resolve) => {
      const onAbort = (): void => this.wake('cut');
      this.waiting = (turn) => {
        this.waiting = null;
        signal.removeEventListener('abort', onAbort);
        resolve(turn);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.group.schedule();
    });
  }

  wake(turn: Turn): void {
    this.waiting?.(turn);
  }

  supersede(): void {
    this.cut.abort(new Error('a better copy of this picture is being downloaded'));
  }

  /** Reports how this copy's download ended. */
  settle(outcome: CopyOutcome): void {
    const group = this.group;
    if (group.downloading === this) group.downloading = null;
    if (outcome === 'superseded') {
      this.cut = new AbortController();
      return; // it waits again through `turn`
    }
    if (outcome === 'has_picture') group.done = true;
    this.drop();
  }

  /** Leaves the group (a turn ended in a near-duplicate or a cut, or the download settled). */
  drop(): void {
    const group = this.group;
    if (!group.members.delete(this)) return;
    if (group.downloading === this) group.downloading = null;
    group.schedule();
    if (group.members.size === 0) this.leave(group);
  }
}

/** The perceptual hashing and near-duplicate removal of one job. */
export class NearDuplicates {
  /** Whether saved images are hashed (search jobs, NEAR_DUPLICATE_DISTANCE ≥ 0). */
  readonly hashing: boolean;
  /** Whether near-duplicates are removed (hashing, and the job did not ask to keep them). */
  readonly removing: boolean;
  private readonly index: HashIndex;
  private readonly distance: number;
  /** Groups of copies known before download that are not settled yet (a few: one per picture in flight). */
  private readonly groups = new Set<PictureGroup>();
  /** Thumbnails fetched and hashed, and of those, how many showed a picture the job has or is getting. */
  readonly thumbnails = { hashed: 0, nearDuplicates: 0 };

  constructor(spec: JobSpec, config: Config, keptHashes: Iterable<string | null>) {
    // A `get` job is a list the user chose: nothing of it is hashed or dropped.
    this.hashing = config.nearDuplicateDistance >= 0 && !spec.sources.includes(URLS_SOURCE);
    this.removing = this.hashing && spec.keepNearDuplicates !== true;
    this.distance = Math.max(0, config.nearDuplicateDistance);
    this.index = new HashIndex(this.distance);
    if (this.removing) for (const h of keptHashes) if (h !== null) this.index.add(h);
  }

  /** The hash of an image file (its `.part`), or null when it cannot be decoded (then it is kept unhashed). */
  async hash(path: string, warn: (message: string) => void): Promise<string | null> {
    try {
      return await phashOfFile(path);
    } catch (error) {
      warn(`cannot compute the perceptual hash of ${path}: ${errorMessage(error)}`);
      return null;
    }
  }

  /**
   * Keeps `phash` when no kept image is within the distance, and says so; false: a near-duplicate.
   * Synchronous on purpose (see the top of this file).
   */
  claim(phash: string): boolean {
    if (!this.removing) return true;
    if (this.index.has(phash)) return false;
    this.index.add(phash);
    return true;
  }

  /** Forgets a claimed hash whose file was not saved after all. */
  release(phash: string): void {
    if (this.removing) this.index.remove(phash);
  }

  /** Whether this candidate's thumbnail is hashed before its file is downloaded (see the top of this file). */
  thumbnailFirst(candidate: MediaCandidate): boolean {
    if (!this.removing || candidate.kind !== 'image') return false;
    const url = candidate.thumbnailUrl;
    if (url === undefined || url === candidate.url) return false;
    // A file that declares itself about thumbnail-sized costs about what its thumbnail would.
    const area = (candidate.width ?? 0) * (candidate.height ?? 0);
    return !(area > 0 && area <= SMALL_FILE_AREA);
  }

  /**
   * Before a candidate is downloaded: hashes its thumbnail (when `thumbnailFirst`) and answers
   * `near_duplicate` when the job already kept that picture, its `Copy` in the group of copies of
   * that picture known before download (download only in its turn, then `settle`), or null when
   * the thumbnail says nothing (none, or it failed): the file is then downloaded and judged on its
   * own bytes.
   */
  async enter(
    http: HttpClient,
    candidate: MediaCandidate,
    signal: AbortSignal,
  ): Promise<Copy | 'near_duplicate' | null> {
    if (!this.thumbnailFirst(candidate)) return null;
    const phash = await thumbnailHash(http, candidate, signal);
    if (phash === null) return null;
    this.thumbnails.hashed++;
    if (this.index.has(phash)) {
      this.thumbnails.nearDuplicates++;
      return 'near_duplicate';
    }
    const [h, l] = halves(phash);
    let group: PictureGroup | undefined;
    for (const g of this.groups) {
      if (popcount(g.h ^ h) + popcount(g.l ^ l) <= this.distance) {
        group = g;
        break;
      }
    }
    if (group === undefined) {
      group = new PictureGroup(h, l);
      this.groups.add(group);
    } else this.thumbnails.nearDuplicates++;
    const copy = new Copy(group, qualityOf(candidate), (g) => this.groups.delete(g));
    group.members.add(copy);
    return copy;
  }
}

/** The pHash of a candidate's thumbnail, or null when there is none to hash (an error, not an image, too large). */
async function thumbnailHash(http: HttpClient, candidate: MediaCandidate, signal: AbortSignal): Promise<string | null> {
  try {
    const response = await http.request(candidate.thumbnailUrl!, {
      signal,
      timeoutMs: THUMBNAIL_TIMEOUT_MS,
      headers: candidate.headers,
    });
    const declared = Number(response.headers['content-length'] ?? '0');
    if (!(response.headers['content-type'] ?? '').startsWith('image/') || declared > MAX_THUMBNAIL_BYTES) {
      await response.dump();
      return null;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_THUMBNAIL_BYTES) {
        response.body.destroy();
        return null;
      }
      chunks.push(chunk);
    }
    return await phashOfFile(Buffer.concat(chunks));
  } catch {
    return null;
  }
}
