// What perceptual hashing costs (run by hand, not a test):
//   node --import tsx bench/phash.ts [--rounds 30] [--concurrency 4]
// Hashes JPEGs and PNGs of typical sizes with the runner's own function (sharp decodes and
// shrinks on libuv's thread pool, the 32×32 DCT runs on the main thread) and reports, per size:
// wall ms per image one at a time, CPU ms per image (user+sys of the whole process: sharp's
// threads included), images per second with `--concurrency` hashes in flight (as a job's
// download workers would), and the main thread's event-loop delay p99 / max meanwhile (how much
// hashing holds up everything else). Also the near-duplicate look-up over 100,000 kept hashes,
// and what hashing a candidate's thumbnail before its file costs and saves: through the real HTTP
// client from a local server, the CPU, bytes and wall time of fetching and hashing a 320×240
// thumbnail against those of fetching and hashing the file itself (what a duplicate found by its
// thumbnail saves), and the duplicate rate from which thumbnails first pay. Prints Markdown tables.
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { loadConfig } from '../src/core/config.ts';
import { createHttpClient } from '../src/http/client.ts';
import { phashOfFile } from '../src/download/perceptual-hash.ts';
import { NearDuplicates } from '../src/jobs/near-duplicates.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ROUNDS = option('--rounds', 30);
const CONCURRENCY = option('--concurrency', 4);

/** A photo-like test image: smooth shapes plus noise, encoded as a camera or a site would. */
async function image(width: number, height: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect width="100%" height="100%" fill="#5a7d9a"/>` +
      `<circle cx="${width * 0.3}" cy="${height * 0.4}" r="${Math.min(width, height) * 0.25}" fill="#e8c170"/>` +
      `<rect x="${width * 0.55}" y="${height * 0.5}" width="${width * 0.35}" height="${height * 0.4}" fill="#2f4f3f"/>` +
      `</svg>`,
  );
  const noise = await sharp({
    create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 0, sigma: 12 } },
  })
    .png()
    .toBuffer();
  const base = sharp(svg).composite([{ input: noise, blend: 'add' }]);
  return format === 'jpeg' ? base.jpeg({ quality: 85 }).toBuffer() : base.png().toBuffer();
}

const SIZES: [string, number, number, 'jpeg' | 'png'][] = [
  ['thumbnail JPEG 320×240', 320, 240, 'jpeg'],
  ['web JPEG 1280×853', 1280, 853, 'jpeg'],
  ['full HD JPEG 1920×1080', 1920, 1080, 'jpeg'],
  ['camera JPEG 4000×3000', 4000, 3000, 'jpeg'],
  ['PNG 1024×1024', 1024, 1024, 'png'],
];

function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const rows: string[] = [];
const load = loadavg()[0]!.toFixed(1);
// The event loop's delay with nothing to do: what the machine's load alone costs.
const idle = monitorEventLoopDelay({ resolution: 1 });
idle.enable();
await new Promise((resolve) => setTimeout(resolve, 2000));
idle.disable();
rows.push(
  `| (idle, no hashing: baseline) | – | – | – | – | ${(idle.percentile(99) / 1e6).toFixed(1)} / ${(idle.max / 1e6).toFixed(1)} |`,
);
for (const [name, width, height, format] of SIZES) {
  const bytes = await image(width, height, format);
  await phashOfFile(bytes); // warm-up: sharp's first call loads codecs
  // One at a time.
  const cpu = process.cpuUsage();
  let t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) await phashOfFile(bytes);
  const serialMs = (performance.now() - t0) / ROUNDS;
  const serialCpuMs = cpuMs(cpu) / ROUNDS;
  // CONCURRENCY at once, with the event loop watched.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < ROUNDS) await phashOfFile(bytes);
    }),
  );
  const parallelS = (performance.now() - t0) / 1000;
  delay.disable();
  rows.push(
    `| ${name} | ${(bytes.length / 1024).toFixed(0)} | ${serialMs.toFixed(1)} | ${serialCpuMs.toFixed(1)} | ` +
      `${(ROUNDS / parallelS).toFixed(1)} | ${(delay.percentile(99) / 1e6).toFixed(1)} / ${(delay.max / 1e6).toFixed(1)} |`,
  );
}

// The keep decision: a look-up (and insert) against every hash the job kept, indexed (distance 4,
// the default) and by a full scan (distance 8, past what the index covers).
const kept = Array.from({ length: 100_000 }, (_, i) =>
  (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(16, '0').slice(-16),
);
const probes = Array.from({ length: 5000 }, (_, i) =>
  (BigInt(i + 7) * 0xc2b2ae3d27d4eb4fn).toString(16).padStart(16, '0').slice(-16),
);
const claimUs = (distance: number): number => {
  const config = loadConfig({ NEAR_DUPLICATE_DISTANCE: String(distance) }, {});
  const index = new NearDuplicates({ query: 'q', sources: ['openverse'], limit: 1, type: 'image' }, config, kept);
  const t0 = performance.now();
  for (const probe of probes) index.claim(probe);
  return ((performance.now() - t0) * 1000) / probes.length;
};
const indexedUs = claimUs(4);
const scanUs = claimUs(8);

// Thumbnail first: a candidate's thumbnail fetched and hashed before its file. Per candidate it
// adds the thumbnail; per duplicate it saves fetching and hashing the file.
const thumbnail = await image(320, 240, 'jpeg');
const files = new Map<string, Buffer>();
const server = createServer((req, res) => {
  const body = req.url === '/thumbnail.jpg' ? thumbnail : files.get(req.url ?? '');
  if (body === undefined) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const http = createHttpClient(loadConfig({ ALLOW_PRIVATE_NETWORKS: 'true' }, {}));
/** Fetches `path` through the engine's HTTP client and hashes it, as the runner does; CPU and wall ms. */
async function fetchAndHash(path: string): Promise<{ cpuMs: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    const response = await http.request(`${origin}${path}`, { timeoutMs: 10_000 });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
    await phashOfFile(Buffer.concat(chunks));
  }
  return { cpuMs: cpuMs(cpu) / ROUNDS, wallMs: (performance.now() - t0) / ROUNDS };
}
await fetchAndHash('/thumbnail.jpg'); // warm-up: the connection pool
const thumb = await fetchAndHash('/thumbnail.jpg');
const thumbRows: string[] = [];
for (const [name, width, height, format] of SIZES.slice(1)) {
  const path = `/${width}x${height}.${format}`;
  files.set(path, await image(width, height, format));
  const file = await fetchAndHash(path);
  const bytes = files.get(path)!.length;
  thumbRows.push(
    `| ${name} | ${(bytes / 1024).toFixed(0)} | ${file.cpuMs.toFixed(1)} | ${file.wallMs.toFixed(1)} | ` +
      `${((100 * thumb.cpuMs) / file.cpuMs).toFixed(0)}% | ${((100 * thumbnail.length) / bytes).toFixed(1)}% |`,
  );
}
await http.close();
server.close();

console.log(
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`node --import tsx bench/phash.ts --rounds ${ROUNDS} --concurrency ${CONCURRENCY}\`.`,
);
console.log(
  `Machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}. Load average (1 min) ${load} at the start, ${loadavg()[0]!.toFixed(1)} at the end.\n`,
);
console.log(
  `| image | KiB | wall ms/image, one at a time | CPU ms/image | images/s, ${CONCURRENCY} in flight | event-loop delay p99 / max ms, ${CONCURRENCY} in flight |`,
);
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log(
  `\nNear-duplicate look-up and insert against 100,000 kept hashes: ${indexedUs.toFixed(0)} µs per image indexed (distance 4), ${scanUs.toFixed(0)} µs by a full scan (distance 8).`,
);
console.log(
  `\nThumbnail first. A 320×240 JPEG thumbnail (${(thumbnail.length / 1024).toFixed(0)} KiB) fetched through the engine's HTTP client and hashed: ${thumb.cpuMs.toFixed(1)} ms CPU, ${thumb.wallMs.toFixed(1)} ms wall, per candidate. ` +
    'A duplicate found by its thumbnail saves fetching and hashing its file; thumbnails first pay once this share of the candidates are duplicates:\n',
);
console.log(
  '| file | KiB | file fetched and hashed: CPU ms | wall ms | break-even duplicate rate, CPU | break-even, bytes |',
);
console.log('|---|---|---|---|---|---|');
for (const row of thumbRows) console.log(row);
