// A 64-bit perceptual hash (DCT pHash) of an image, so that the same picture at another size,
// compression or with a slightly different crop is recognised across sources: decode with sharp,
// greyscale, resize to 32×32, take the 2-D DCT, keep the 8×8 lowest frequencies but the DC term,
// and set a bit for each coefficient above their median. Two hashes within a few bits (Hamming
// distance) are the same picture.
type Sharp = (typeof import('sharp'))['default'];

let sharpLoaded: Promise<Sharp> | undefined;
/**
 * sharp (libvips, tens of MB once loaded) is loaded on demand: a process that hashes nothing
 * (`harvester get`, near-duplicates off) never pays for it. The engine loads it when it opens for
 * jobs that hash (`preloadPerceptualHashing`), so that its load, which blocks the event loop for a
 * good part of a second on a busy machine, never counts against a source's deadline.
 */
function loadSharp(): Promise<Sharp> {
  sharpLoaded ??= import('sharp').then(({ default: sharp }) => {
    // Each hash decodes on one libvips thread: a job hashes several files at once (one per
    // download worker), so more threads per image would only compete for the same cores; and
    // every file is hashed once, so sharp's operation cache would only hold memory.
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpLoaded;
}

const SIZE = 32;
const LOW = 8;

// cos((2x+1)uπ/2N) for the 8 lowest u, computed once.
const COSINES: Float64Array[] = Array.from({ length: LOW }, (_, u) =>
  Float64Array.from({ length: SIZE }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * SIZE))),
);

/** Loads what hashing needs now (see loadSharp). */
export async function preloadPerceptualHashing(): Promise<void> {
  await loadSharp();
}

/** The pHash of 32×32 greyscale pixels (row-major), as 16 lowercase hex digits. */
export function phashOfPixels(pixels: Uint8Array | Buffer): string {
  if (pixels.length !== SIZE * SIZE)
    throw new Error(`phash: expected ${SIZE * SIZE} grey pixels, got ${pixels.length}`);
  // Rows first, then columns: only the LOW lowest frequencies are ever needed.
  const rows = new Float64Array(SIZE * LOW);
  for (let y = 0; y < SIZE; y++) {
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      const c = COSINES[u]!;
      for (let x = 0; x < SIZE; x++) sum += pixels[y * SIZE + x]! * c[x]!;
      rows[y * LOW + u] = sum;
    }
  }
  const coefficients: number[] = [];
  for (let v = 0; v < LOW; v++) {
    const c = COSINES[v]!;
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      for (let y = 0; y < SIZE; y++) sum += rows[y * LOW + u]! * c[y]!;
      coefficients.push(sum);
    }
  }
  // The DC term is the mean brightness; leaving it out of the median keeps the bits about structure.
  const median = [...coefficients.slice(1)].sort((a, b) => a - b)[(LOW * LOW - 1) >> 1]!;
  let hash = 0n;
  for (const value of coefficients) hash = (hash << 1n) | (value > median ? 1n : 0n);
  return hash.toString(16).padStart(16, '0');
}

/**
 * The pHash of an image file, or of an image's bytes (any format sharp reads; the first frame of an
 * animation). sharp decodes on libuv's thread pool, so the event loop only runs the small DCT.
 */
export async function phashOfFile(input: string | Buffer): Promise<string> {
  const sharp = await loadSharp();
  const pixels = await sharp(input, { failOn: 'none' })
    .rotate()
    .greyscale()
    .resize(SIZE, SIZE, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  return phashOfPixels(pixels);
}

/** The pixel size of an image as its header says (after EXIF rotation), or nulls when sharp cannot read it. */
export async function imageSizeOfFile(
  input: string | Buffer,
): Promise<{ width: number | null; height: number | null }> {
  try {
    const sharp = await loadSharp();
    const meta = await sharp(input, { failOn: 'none' }).metadata();
    if (meta.width === undefined || meta.height === undefined) return { width: null, height: null };
    // EXIF orientations 5 to 8 turn the picture a quarter: width and height swap.
    const turned = (meta.orientation ?? 1) >= 5;
    return turned ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  } catch {
    return { width: null, height: null };
  }
}

/** Bits that differ between two hashes (0–64). */
export function hammingDistance(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let count = 0;
  while (x > 0n) {
    x &= x - 1n;
    count += 1;
  }
  return count;
}
