// A source answering megabytes of `[[[[…` is refused while the answer arrives (the nesting check
// runs chunk by chunk), before any JSON.parse could hold the event loop; real answers pass.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.ts';
import { TooLargeError } from '../../src/core/errors.ts';
import { FIXTURES_DIR } from '../../src/demo/sim-server.ts';
import { createHttpClient } from '../../src/http/client.ts';
import { JsonNestingScanner, looksLikeJson } from '../../src/http/json-nesting.ts';

const TOTAL = 20 * 1024 * 1024;
let written = 0;
const server: Server = createServer((req, res) => {
  if (req.url === '/real') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(readFileSync(join(FIXTURES_DIR, 'openverse', 'images-search.real-trimmed.json')));
    return;
  }
  // Served as text/html on purpose: the check goes by the body, not only by the label.
  res.writeHead(200, { 'content-type': req.url === '/html-label' ? 'text/html' : 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, '[');
  const pump = (): void => {
    while (written < TOTAL) {
      written += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => undefined);
  pump();
});
after(() => server.close());

test('20 MB of [[[[ is refused while it is read, long before it is all sent', { timeout: 60_000 }, async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const config = loadConfig({ ALLOW_PRIVATE_NETWORKS: 'true', REQUEST_TIMEOUT: '30', MAX_RETRIES_PER_SOURCE: '0' }, {});
  const http = createHttpClient(config);
  for (const path of ['/deep', '/html-label']) {
    written = 0;
    const error = await http.getJson(`http://127.0.0.1:${port}${path}`).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof TooLargeError, String(error));
    assert.match(error.message, /nests deeper than 256 levels/);
    assert.ok(written < TOTAL / 2, `${path}: the server wrote ${written} of ${TOTAL} bytes before the client gave up`);
  }
  const real = await http.getJson<{ results: unknown[] }>(`http://127.0.0.1:${port}/real`);
  assert.ok(real.data.results.length > 0, 'a recorded real answer still parses');
  await http.close?.();
});

test('the scanner counts brackets outside strings only', () => {
  const scan = new JsonNestingScanner();
  assert.equal(scan.feed(Buffer.from('{"a":"[[[[[[[[[[\\"[[[[","b":[[1]]}'), 3), true);
  assert.equal(new JsonNestingScanner().feed(Buffer.from('[[[[1]]]]'), 3), false);
  assert.equal(looksLikeJson('text/html', Buffer.from('  <html>')), false);
  assert.equal(looksLikeJson(undefined, Buffer.from('\n [1]')), true);
});
