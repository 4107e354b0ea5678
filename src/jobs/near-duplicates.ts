// Near-duplicates of a search job: every saved image gets a 64-bit perceptual hash, and an image
// within NEAR_DUPLICATE_DISTANCE bits of one the job already kept (any source, any query) is the
// same picture and is dropped. Once the job has met a near-duplicate (the sources overlap), a
// candidate's thumbnail is hashed first, so a picture the job already has is not downloaded at all;
// until then thumbnails would only add a request and a decode to every file.
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

/** The perceptual hashing and near-duplicate removal of one job. */
export class NearDuplicates {
  /** Whether saved images are hashed (search jobs, NEAR_DUPLICATE_DISTANCE ≥ 0). */
  readonly hashing: boolean;
  /** Whether near-duplicates are removed (hashing, and the job did not ask to keep them). */
  readonly removing: boolean;
  private readonly index: HashIndex;
  /** Near-duplicates met so far in this run of the job. */
  private met = 0;

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
    if (this.index.has(phash)) {
      this.met++;
      return false;
    }
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
    if (!this.removing || candidate.kind !== 'image' || this.met === 0) return false;
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
      if (!this.index.has(phash)) return false;
      this.met++;
      return true;
    } catch {
      return false;
    }
  }
}
