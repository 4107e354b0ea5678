// Near-duplicates of a search job: every saved image gets a 64-bit perceptual hash, and an image
// within NEAR_DUPLICATE_DISTANCE bits of one the job already kept (any source, any query) is the
// same picture and is dropped. Where a candidate has a thumbnail, the thumbnail is hashed first,
// so a picture the job already has is not downloaded at all.
//
// The keep-decision is `claim`: one synchronous look-up-and-insert. JavaScript runs it to the end
// before any other worker of the job resumes, so two workers that finish the same picture at once
// cannot both keep it; the later one sees the earlier one's hash.
import type { Config } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import type { JobSpec, MediaCandidate } from '../core/types.ts';
import { URLS_SOURCE } from '../core/types.ts';
import { phashOfFile } from '../download/perceptual-hash.ts';
import type { HttpClient } from '../http/types.ts';

/** A thumbnail larger than this is not worth hashing first: the transfer it would save is not much larger. */
const MAX_THUMBNAIL_BYTES = 512 * 1024;
/** A thumbnail gets at most this long (and never past the source's deadline). */
const THUMBNAIL_TIMEOUT_MS = 5000;

/** 64-bit hashes kept as two 32-bit halves in growing typed arrays: a scan touches no objects. */
class HashIndex {
  private high = new Uint32Array(256);
  private low = new Uint32Array(256);
  size = 0;

  constructor(private readonly distance: number) {}

  /** The position of a hash within `distance` bits of `phash`, or -1. */
  find(phash: string): number {
    const [h, l] = halves(phash);
    for (let i = 0; i < this.size; i++) {
      if (popcount(this.high[i]! ^ h) + popcount(this.low[i]! ^ l) <= this.distance) return i;
    }
    return -1;
  }

  add(phash: string): void {
    if (this.size === this.high.length) {
      const high = new Uint32Array(this.size * 2);
      const low = new Uint32Array(this.size * 2);
      high.set(this.high);
      low.set(this.low);
      this.high = high;
      this.low = low;
    }
    const [h, l] = halves(phash);
    this.high[this.size] = h;
    this.low[this.size] = l;
    this.size++;
  }

  /** Removes one entry equal to `phash` (a kept file whose saving failed afterwards). */
  remove(phash: string): void {
    const [h, l] = halves(phash);
    for (let i = this.size - 1; i >= 0; i--) {
      if (this.high[i] === h && this.low[i] === l) {
        this.size--;
        this.high[i] = this.high[this.size]!;
        this.low[i] = this.low[this.size]!;
        return;
      }
    }
  }
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

/** The perceptual hashing and near-duplicate removal of one job. */
export class NearDuplicates {
  /** Whether saved images are hashed (search jobs, NEAR_DUPLICATE_DISTANCE ≥ 0). */
  readonly hashing: boolean;
  /** Whether near-duplicates are removed (hashing, and the job did not ask to keep them). */
  readonly removing: boolean;
  private readonly index: HashIndex;

  constructor(spec: JobSpec, config: Config, keptHashes: Iterable<string | null>) {
    // A `get` job is a list the user chose: nothing of it is hashed or dropped.
    this.hashing = config.nearDuplicateDistance >= 0 && !spec.sources.includes(URLS_SOURCE);
    this.removing = this.hashing && spec.keepNearDuplicates !== true;
    this.index = new HashIndex(Math.max(0, config.nearDuplicateDistance));
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
    if (this.index.find(phash) >= 0) return false;
    this.index.add(phash);
    return true;
  }

  /** Forgets a claimed hash whose file was not saved after all. */
  release(phash: string): void {
    if (this.removing) this.index.remove(phash);
  }

  /**
   * Whether the candidate's thumbnail shows a picture the job already kept, so its download can
   * be skipped. Any failure (no thumbnail, an error, not an image) answers false: the file is then
   * downloaded and judged on its own bytes.
   */
  async thumbnailIsKept(http: HttpClient, candidate: MediaCandidate, signal: AbortSignal): Promise<boolean> {
    // Nothing kept yet: nothing to match, and the first picture of a job is never delayed.
    if (!this.removing || candidate.kind !== 'image' || this.index.size === 0) return false;
    const url = candidate.thumbnailUrl;
    if (url === undefined || url === candidate.url) return false;
    try {
      const response = await http.request(url, {
        signal,
        timeoutMs: THUMBNAIL_TIMEOUT_MS,
        headers: candidate.headers,
      });
      const declared = Number(response.headers['content-length'] ?? '0');
      if (!(response.headers['content-type'] ?? '').startsWith('image/') || declared > MAX_THUMBNAIL_BYTES) {
        await response.dump();
        return false;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_THUMBNAIL_BYTES) {
          response.body.destroy();
          return false;
        }
        chunks.push(chunk);
      }
      const phash = await phashOfFile(Buffer.concat(chunks));
      return this.index.find(phash) >= 0;
    } catch {
      return false;
    }
  }
}
