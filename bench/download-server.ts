// Benchmark server (run as a child of bench/download.ts, so its own CPU and memory are not
// counted): GET /f/<n>.png answers after `LATENCY_MS` with a distinct 64 KiB PNG-headed body
// (distinct bytes per n, so nothing is de-duplicated); GET /big streams `BIG_BYTES` generated on
// the fly. Prints the port on stdout.
import { createServer } from 'node:http';
import { makePng } from '../src/demo/media.ts';

const LATENCY_MS = Number(process.env.LATENCY_MS ?? 20);
const FILE_BYTES = Number(process.env.FILE_BYTES ?? 64 * 1024);
const BIG_BYTES = Number(process.env.BIG_BYTES ?? 1024 * 1024 * 1024);

// A PNG signature, IHDR and the header of one IDAT chunk spanning the rest: sniffs as a PNG.
function pngHeadFor(totalBytes: number): Buffer {
  const idat = Buffer.alloc(8);
  idat.writeUInt32BE(Math.max(0, Math.min(totalBytes - 33 - 12, 0x7fffffff)));
  idat.write('IDAT', 4, 'ascii');
  return Buffer.concat([makePng('bench', 8, 8).subarray(0, 33), idat]);
}
const pattern = Buffer.alloc(FILE_BYTES);
for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 131 + 17) & 0xff;
pngHeadFor(FILE_BYTES).copy(pattern, 0);
const pngHead = pngHeadFor(BIG_BYTES);
const bigChunk = Buffer.alloc(256 * 1024);
for (let i = 0; i < bigChunk.length; i++) bigChunk[i] = (i * 31 + 7) & 0xff;

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const file = /^\/f\/(\d+)\.png$/.exec(url);
  if (file) {
    setTimeout(() => {
      const body = Buffer.from(pattern);
      body.writeUInt32BE(Number(file[1]), 48); // distinct content per file, after the header
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
      res.end(body);
    }, LATENCY_MS);
    return;
  }
  if (url === '/big') {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': BIG_BYTES });
      let sent = 0;
      const pump = (): void => {
        while (sent < BIG_BYTES) {
          const size = Math.min(bigChunk.length, BIG_BYTES - sent);
          const chunk =
            sent === 0 ? Buffer.concat([pngHead, bigChunk.subarray(pngHead.length, size)]) : bigChunk.subarray(0, size);
          sent += size;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    }, LATENCY_MS);
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
