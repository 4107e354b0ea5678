import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { loadConfig } from '../../src/core/config.ts';
import { HttpStatusError, ParseError, SourceTimeoutError } from '../../src/core/errors.ts';
import { createHttpClient } from '../../src/http/client.ts';
import { bindSourceHttp } from '../../src/http/source-http.ts';
import type { HttpClient, RetryInfo } from '../../src/http/types.ts';
import { startFaultServer, type FaultServer } from '../helpers/fault-server.ts';

let server: FaultServer;
let client: HttpClient;
before(async () => {
  server = await startFaultServer();
  client = createHttpClient(loadConfig({ ALLOW_PRIVATE_NETWORKS: 'true' }, {}), { retryBaseMs: 5, retryCapMs: 20 });
});
after(async () => {
  await client.close();
  await server.close();
});

test('every call gets the source policy: retries, retry callback, headers', async () => {
  const retries: RetryInfo[] = [];
  const http = bindSourceHttp(client, {
    signal: new AbortController().signal,
    timeoutMs: 5000,
    retries: 2,
    onRetry: (info) => retries.push(info),
    headers: { 'x-source': 'pexels', authorization: 'key' },
    sourceId: 'pexels',
  });
  const before = server.hits('/status/503');
  await assert.rejects(
    http.getText(server.url('/status/503')),
    (e: unknown) => e instanceof HttpStatusError && e.status === 503,
  );
  assert.equal(server.hits('/status/503') - before, 3);
  assert.deepEqual(
    retries.map((r) => r.attempt),
    [2, 3],
  );
  const echo = await http.getJson<{ headers: Record<string, string> }>(server.url('/echo'), {
    headers: { 'X-Extra': '1' },
  });
  assert.equal(echo.data.headers['x-source'], 'pexels');
  assert.equal(echo.data.headers['x-extra'], '1');
  assert.equal(echo.data.headers.accept, 'application/json');
});

test('invalid JSON is a ParseError naming the source', async () => {
  const http = bindSourceHttp(client, {
    signal: new AbortController().signal,
    timeoutMs: 5000,
    retries: 0,
    sourceId: 'nasa_images',
  });
  await assert.rejects(
    http.getJson(server.url('/invalid-json')),
    (e: unknown) => e instanceof ParseError && e.source === 'nasa_images' && /invalid JSON/.test(e.message),
  );
});

test('the source deadline cuts a longer REQUEST_TIMEOUT short and its reason is thrown', async () => {
  const deadline = new AbortController();
  const reason = new SourceTimeoutError(300);
  const timer = setTimeout(() => deadline.abort(reason), 300);
  const http = bindSourceHttp(client, { signal: deadline.signal, timeoutMs: 60_000, retries: 2 });
  const startedAt = performance.now();
  const callerSignal = new AbortController().signal;
  await assert.rejects(http.getText(server.url('/hang'), { signal: callerSignal }), (e: unknown) => e === reason);
  clearTimeout(timer);
  assert.ok(performance.now() - startedAt < 1500);
  assert.equal(reason.message, 'Timeout after 0.3s');
  assert.equal(getEventListeners(deadline.signal, 'abort').length, 0);
  assert.equal(getEventListeners(callerSignal, 'abort').length, 0);
});
