// The fake media host of bench/server-latency.ts, run as its own process so that its CPU is not
// the server's: GET /f/<n>.png answers after LATENCY_MS with a distinct valid PNG of about
// FILE_BYTES. Prints its port on stdout.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makePng } from '../src/demo/media.ts';

const LATENCY_MS = Number(process.env.LATENCY_MS ?? 20);
const SIDE = Math.max(8, Math.round(Math.sqrt(Number(process.env.FILE_BYTES ?? 16 * 1024) / 3)));

const server = createServer((req, res) => {
  const match = /^\/f\/(\d+)\.png$/.exec(req.url ?? '');
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  setTimeout(() => {
    const body = makePng(`bench-${match[1]}`, SIDE, SIDE);
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
    res.end(body);
  }, LATENCY_MS);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
