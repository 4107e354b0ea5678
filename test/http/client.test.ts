import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer as createNetServer, connect as netConnect } from 'node:net';
import { loadConfig, withOverrides } from '../../src/core/config.ts';
import {
  CancelledError,
  HarvesterError,
  HttpStatusError,
  NetworkError,
  ParseError,
  PrivateNetworkError,
  RedirectError,
  SourceTimeoutError,
  TimeoutError,
  TooLargeError,
} from '../../src/core/errors.ts';
import { createHttpClient, DEFAULT_USER_AGENT } from '../../src/http/client.ts';
import type { RetryInfo } from '../../src/http/types.ts';
import { startFaultServer, type FaultServer } from '../helpers/fault-server.ts';

const config = loadConfig({ ALLOW_PRIVATE_NETWORKS: 'true', REQUEST_TIMEOUT: '5' }, {});
const guarded = withOverrides(config, { allowPrivateNetworks: false });

let server: FaultServer;
before(async () => {
  server = await startFaultServer();
});
after(async () => {
  await server.close();
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a rejection');
}

describe('retries', () => {
  test('429 then success: Retry-After (seconds) is honoured before the retry', async () => {
    const http = createHttpClient(config, { retryBaseMs: 10 });
    const retries: RetryInfo[] = [];
    try {
      const response = await http.getJson<{ ok: boolean; attempt: number }>(
        server.url('/flaky?failures=1&status=429&retryAfter=1&type=json&key=ra1'),
        {
          retries: 2,
          onRetry: (info) => retries.push(info),
        },
      );
      assert.equal(response.data.attempt, 2);
      const hits = server.log.filter((r) => r.path.includes('key=ra1'));
      assert.equal(hits.length, 2);
      const waitedMs = hits[1]!.atMs - hits[0]!.atMs;
      assert.ok(waitedMs >= 1000, `retried after ${waitedMs} ms, before the 1 s Retry-After`);
      assert.equal(retries.length, 1);
      assert.equal(retries[0]!.attempt, 2);
      assert.ok(retries[0]!.delayMs >= 1000);
      assert.ok(retries[0]!.error instanceof HttpStatusError && retries[0]!.error.status === 429);
    } finally {
      await http.close();
    }
  });

  test('503 with an HTTP-date Retry-After waits until that date', async () => {
    const http = createHttpClient(config, { retryBaseMs: 10 });
    const date = new Date(Math.ceil((Date.now() + 1200) / 1000) * 1000);
    try {
      const startedAt = Date.now();
      await http.getText(
        server.url(
          `/flaky?failures=1&status=503&type=json&key=date&retryAfter=${encodeURIComponent(date.toUTCString())}`,
        ),
        { retries: 1 },
      );
      assert.ok(Date.now() >= date.getTime(), `retried ${date.getTime() - Date.now()} ms before the Retry-After date`);
      assert.ok(Date.now() - startedAt < 3000);
    } finally {
      await http.close();
    }
  });

  test('500s exhaust the retries and the last status is thrown', async () => {
    const http = createHttpClient(config, { retryBaseMs: 5, retryCapMs: 20 });
    const attempts: number[] = [];
    const before = server.hits('/status/500');
    try {
      const error = await rejection(
        http.getText(server.url('/status/500'), { retries: 2, onRetry: (i) => attempts.push(i.attempt) }),
      );
      assert.ok(error instanceof HttpStatusError);
      assert.equal(error.status, 500);
      assert.equal(server.hits('/status/500') - before, 3);
      assert.deepEqual(attempts, [2, 3]);
    } finally {
      await http.close();
    }
  });

  test('a 404 is not retried', async () => {
    const http = createHttpClient(config, { retryBaseMs: 5 });
    const before = server.hits('/status/404');
    try {
      const error = await rejection(http.getText(server.url('/status/404'), { retries: 3 }));
      assert.ok(error instanceof HttpStatusError && error.status === 404 && !error.retryable);
      assert.equal(server.hits('/status/404') - before, 1);
    } finally {
      await http.close();
    }
  });

  test('a Retry-After beyond the caller deadline gives up at once instead of sleeping', async () => {
    const http = createHttpClient(config);
    const before = server.hits('/status/429');
    try {
      const startedAt = performance.now();
      const error = await rejection(
        http.getText(server.url('/status/429?retryAfter=30'), { retries: 3, deadlineAt: Date.now() + 2000 }),
      );
      assert.ok(error instanceof HttpStatusError && error.status === 429);
      assert.equal(error.retryAfterMs, 30_000);
      assert.equal(server.hits('/status/429') - before, 1);
      assert.ok(performance.now() - startedAt < 1000);
    } finally {
      await http.close();
    }
  });

  test('a refused connection is a retryable NetworkError with its system code', async () => {
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const http = createHttpClient(config, { retryBaseMs: 5 });
    const attempts: number[] = [];
    try {
      const error = await rejection(
        http.getText(`http://127.0.0.1:${port}/`, { retries: 1, onRetry: (i) => attempts.push(i.attempt) }),
      );
      assert.ok(error instanceof NetworkError);
      assert.equal(error.sysCode, 'ECONNREFUSED');
      assert.match(error.message, /connection refused/);
      assert.deepEqual(attempts, [2]);
    } finally {
      await http.close();
    }
  });

  test('a reset mid-body is a NetworkError (ECONNRESET), never a raw undici error', async () => {
    const http = createHttpClient(config);
    try {
      const error = await rejection(http.getText(server.url('/reset?after=3000')));
      assert.ok(error instanceof NetworkError, `${error.name}: ${error.message}`);
      assert.equal(error.sysCode, 'ECONNRESET');
    } finally {
      await http.close();
    }
  });
});

describe('timeouts name their phase', () => {
  test('connect', async () => {
    // A resolver that never answers keeps the connection in its connect phase.
    const http = createHttpClient(config, { connectTimeoutMs: 200, lookup: () => {} });
    try {
      const error = await rejection(http.getText('http://never-resolves.test/'));
      assert.ok(error instanceof TimeoutError, `${error.name}: ${error.message}`);
      assert.equal(error.phase, 'connect');
      assert.match(error.message, /'connect' for 200ms/);
    } finally {
      await http.close();
    }
  });

  test('headers', async () => {
    const http = createHttpClient(config);
    try {
      const error = await rejection(http.getText(server.url('/hang'), { headersTimeoutMs: 200 }));
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.phase, 'headers');
      assert.match(error.message, /'headers' for 200ms/);
    } finally {
      await http.close();
    }
  });

  test('idle between body chunks', async () => {
    const http = createHttpClient(config);
    try {
      const error = await rejection(http.getText(server.url('/hang-mid-body?after=1000'), { idleTimeoutMs: 200 }));
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.phase, 'idle');
    } finally {
      await http.close();
    }
  });

  test('the idle timer is refreshed by every chunk, the total is not', async () => {
    const http = createHttpClient(config);
    try {
      // 20 bytes every 50 ms never trips a 300 ms idle timer, but the 400 ms total ends it.
      const startedAt = performance.now();
      const error = await rejection(
        http.getText(server.url('/drip?bytes=20&intervalMs=50'), { idleTimeoutMs: 300, timeoutMs: 400 }),
      );
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.phase, 'request');
      assert.match(error.message, /'request' for 400ms/);
      assert.ok(performance.now() - startedAt < 1500);
    } finally {
      await http.close();
    }
  });
});

describe('cancellation', () => {
  test("a request to a hanging server ends when the caller's signal aborts, with the signal's reason", async () => {
    const http = createHttpClient(config);
    try {
      for (const reason of [new SourceTimeoutError(30_000), new CancelledError('cancelled by the user')]) {
        const controller = new AbortController();
        setTimeout(() => controller.abort(reason), 100);
        const startedAt = performance.now();
        const error = await rejection(http.getText(server.url('/hang'), { signal: controller.signal, retries: 2 }));
        assert.equal(error, reason);
        assert.ok(performance.now() - startedAt < 1000);
        assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      }
    } finally {
      await http.close();
    }
  });

  test('a plain abort() becomes a CancelledError; an already aborted signal sends nothing', async () => {
    const http = createHttpClient(config);
    const before = server.hits('/echo');
    try {
      const controller = new AbortController();
      controller.abort();
      const error = await rejection(http.getText(server.url('/echo'), { signal: controller.signal }));
      assert.ok(error instanceof CancelledError);
      assert.equal(server.hits('/echo'), before);
    } finally {
      await http.close();
    }
  });

  test('abort listeners are removed when a request ends, body read or not', async () => {
    const http = createHttpClient(config);
    const controller = new AbortController();
    try {
      await http.getText(server.url('/json'), { signal: controller.signal });
      const streamed = await http.request(server.url('/ok.png'), { signal: controller.signal });
      assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
      for await (const _chunk of streamed.body) {
        // drain
      }
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      const dumped = await http.request(server.url('/ok.png'), { signal: controller.signal });
      await dumped.dump();
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    } finally {
      await http.close();
    }
  });
});

describe('redirects', () => {
  test('are followed to the final URL', async () => {
    const http = createHttpClient(config);
    try {
      const response = await http.request(server.url('/redirect-chain?n=3'));
      assert.equal(response.status, 200);
      assert.equal(response.url, server.url('/ok.png?key=chain'));
      await response.dump();
    } finally {
      await http.close();
    }
  });

  test('a loop is a RedirectError', async () => {
    const http = createHttpClient(config);
    try {
      const error = await rejection(http.getText(server.url('/redirect-loop/a')));
      assert.ok(error instanceof RedirectError);
      assert.match(error.message, /redirect loop/);
    } finally {
      await http.close();
    }
  });

  test('more than maxRedirects is a RedirectError', async () => {
    const http = createHttpClient(config);
    try {
      const error = await rejection(http.getText(server.url('/redirect-chain?n=6')));
      assert.ok(error instanceof RedirectError);
      assert.match(error.message, /too many redirects \(more than 5\)/);
      const ok = await http.getText(server.url('/redirect-chain?n=2'), { maxRedirects: 2 });
      assert.equal(ok.status, 200);
    } finally {
      await http.close();
    }
  });

  test('a redirect to a non-http scheme is refused', async () => {
    const http = createHttpClient(config);
    try {
      const error = await rejection(
        http.getText(server.url(`/redirect?to=${encodeURIComponent('file:///etc/passwd')}`)),
      );
      assert.ok(error instanceof HarvesterError);
      assert.match(error.message, /only http and https/);
    } finally {
      await http.close();
    }
  });
});

describe('private-network guard', () => {
  test('with the guard on, the first hop to the loopback test server is refused before connecting', async () => {
    const http = createHttpClient(guarded);
    const before = server.hits('/ok.png');
    try {
      const error = await rejection(http.getText(server.url('/ok.png')));
      assert.ok(error instanceof PrivateNetworkError);
      assert.match(error.message, /127\.0\.0\.1.*ALLOW_PRIVATE_NETWORKS=true/);
      assert.equal(server.hits('/ok.png'), before);
    } finally {
      await http.close();
    }
  });

  test('a redirect to a private or metadata address is refused (allowed first hop)', async () => {
    const http = createHttpClient(guarded, { allowHosts: ['127.0.0.1'] });
    try {
      for (const target of [
        'http://169.254.169.254/latest/meta-data/',
        'http://10.0.0.1/x.jpg',
        'http://[::1]/x',
        'http://[::ffff:192.168.0.1]/',
        'http://0.0.0.0/',
      ]) {
        const error = await rejection(http.getText(server.url(`/redirect?to=${encodeURIComponent(target)}`)));
        assert.ok(error instanceof PrivateNetworkError, `${target}: ${error.message}`);
      }
    } finally {
      await http.close();
    }
  });

  test('a redirect to a name that resolves to loopback is refused on the resolved address', async () => {
    const http = createHttpClient(guarded, { allowHosts: ['127.0.0.1'] });
    const before = server.hits('/json');
    try {
      const target = `http://localhost:${server.port}/json`;
      const error = await rejection(http.getText(server.url(`/redirect?to=${encodeURIComponent(target)}`)));
      assert.ok(error instanceof PrivateNetworkError, error.message);
      assert.match(error.message, /localhost.*resolves to .*(127\.0\.0\.1|::1)/);
      assert.equal(server.hits('/json'), before);
    } finally {
      await http.close();
    }
  });

  test('a public name rebound to 127.0.0.1 by DNS is refused', async () => {
    const http = createHttpClient(guarded, { lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]) });
    try {
      const error = await rejection(http.getText(`http://cdn.example.com:${server.port}/json`));
      assert.ok(error instanceof PrivateNetworkError);
      assert.match(error.message, /cdn\.example\.com/);
    } finally {
      await http.close();
    }
  });

  test('ALLOW_PRIVATE_NETWORKS=true lifts it', async () => {
    const http = createHttpClient(config);
    try {
      const response = await http.getText(`http://localhost:${server.port}/json`);
      assert.equal(response.status, 200);
    } finally {
      await http.close();
    }
  });
});

describe('requests and bodies', () => {
  test('only http and https URLs are fetched', async () => {
    const http = createHttpClient(config);
    try {
      for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/plain,hi', 'ftp://example.com/x']) {
        const error = await rejection(http.getText(url));
        assert.ok(error instanceof HarvesterError, url);
        assert.match(error.message, /only http and https URLs/);
      }
      const invalid = await rejection(http.getText('not a url'));
      assert.match(invalid.message, /invalid URL/);
    } finally {
      await http.close();
    }
  });

  test('an honest default User-Agent, overridable per request; text asks for compression, downloads do not', async () => {
    const http = createHttpClient(config);
    try {
      const plain = await http.getJson<{ headers: Record<string, string> }>(server.url('/echo'));
      assert.equal(plain.data.headers['user-agent'], DEFAULT_USER_AGENT);
      assert.match(DEFAULT_USER_AGENT, /^Harvester\/\d/);
      assert.equal(plain.data.headers['accept-encoding'], 'gzip, deflate, br');
      const custom = await http.getJson<{ headers: Record<string, string> }>(server.url('/echo'), {
        headers: { 'User-Agent': 'Test/1' },
      });
      assert.equal(custom.data.headers['user-agent'], 'Test/1');
    } finally {
      await http.close();
    }
  });

  test('gzip bodies are decoded; a gzip bomb is a TooLargeError at maxBodyBytes', async () => {
    const http = createHttpClient(config);
    try {
      const text = await http.getText(server.url('/gzip-text?text=h%C3%A9llo'));
      assert.equal(text.text, 'héllo');
      const error = await rejection(http.getText(server.url('/gzip-bomb?mb=64'), { maxBodyBytes: 1024 * 1024 }));
      assert.ok(error instanceof TooLargeError);
      assert.match(error.message, /exceeds 1048576 bytes after gzip decoding/);
      const rssMb = process.memoryUsage().rss / 1024 / 1024;
      assert.ok(rssMb < 400, `rss ${rssMb} MB`);
    } finally {
      await http.close();
    }
  });

  test('invalid JSON is a ParseError naming the URL', async () => {
    const http = createHttpClient(config);
    try {
      const error = await rejection(http.getJson(server.url('/invalid-json'), { sourceId: 'openverse' }));
      assert.ok(error instanceof ParseError);
      assert.match(error.message, /^openverse: .*invalid JSON from http:\/\/127\.0\.0\.1:\d+\/invalid-json/);
    } finally {
      await http.close();
    }
  });

  test('statuses outside acceptStatus are thrown; inside are returned', async () => {
    const http = createHttpClient(config);
    try {
      const response = await http.getText(server.url('/status/404'), { acceptStatus: (s) => s === 404 });
      assert.equal(response.status, 404);
      assert.equal(response.text, 'status 404');
    } finally {
      await http.close();
    }
  });

  test('no more than MAX_CONNECTIONS_PER_HOST connections to one host', async () => {
    const http = createHttpClient(withOverrides(config, { maxConnectionsPerHost: 2 }));
    let open = 0;
    let peak = 0;
    const onConnection = (socket: import('node:net').Socket): void => {
      open++;
      peak = Math.max(peak, open);
      socket.once('close', () => open--);
    };
    server.server.on('connection', onConnection);
    try {
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          http.getText(server.url(`/slow?delayMs=100&path=${encodeURIComponent(`/json?i=${i}`)}`)),
        ),
      );
      assert.equal(responses.length, 8);
      assert.ok(peak <= 2, `peak ${peak} connections`);
      assert.ok(peak >= 1);
    } finally {
      server.server.off('connection', onConnection);
      await http.close();
    }
  });

  test('HTTP_PROXY is honoured', async () => {
    const proxy = await startConnectProxy();
    const http = createHttpClient(config, { env: { HTTP_PROXY: proxy.url } });
    try {
      const response = await http.getJson<{ ok: boolean }>(server.url('/json'));
      assert.equal(response.data.ok, true);
      assert.deepEqual(proxy.connects, [`127.0.0.1:${server.port}`]);
    } finally {
      await http.close();
      await proxy.close();
    }
  });
});

/**
 * A CONNECT proxy on 127.0.0.1 that records each tunnel's target and always connects to the
 * fault server, whatever name it was asked for (so a made-up public name can reach it).
 */
async function startConnectProxy(): Promise<{ url: string; connects: string[]; close(): Promise<void> }> {
  const connects: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const proxy = createNetServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.once('data', (head) => {
      const line = head.toString('latin1').split('\r\n')[0]!;
      const match = /^CONNECT (\S+):(\d+) /.exec(line);
      if (!match) {
        client.destroy();
        return;
      }
      connects.push(`${match[1]}:${match[2]}`);
      const upstream = netConnect(server.port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

describe('private-network guard through a proxy', () => {
  test('the proxy on 127.0.0.1 does not make 127.0.0.1 a fetchable target', async () => {
    const proxy = await startConnectProxy();
    const http = createHttpClient(guarded, { env: { HTTP_PROXY: proxy.url } });
    const before = server.hits('/json');
    try {
      const error = await rejection(http.getText(server.url('/json')));
      assert.ok(error instanceof PrivateNetworkError, error.message);
      assert.deepEqual(proxy.connects, []);
      assert.equal(server.hits('/json'), before);
    } finally {
      await http.close();
      await proxy.close();
    }
  });

  test('a redirect to localhost is refused before the proxy is asked for it', async () => {
    const proxy = await startConnectProxy();
    // 127.0.0.1 is the test's own first hop, let through deliberately; localhost is not.
    const http = createHttpClient(guarded, { env: { HTTP_PROXY: proxy.url }, allowHosts: ['127.0.0.1'] });
    const before = server.hits('/ok.png');
    try {
      const target = `http://localhost:${server.port}/ok.png`;
      const error = await rejection(http.getText(server.url(`/redirect?to=${encodeURIComponent(target)}`)));
      assert.ok(error instanceof PrivateNetworkError, error.message);
      assert.match(error.message, /localhost.*resolves to .*(127\.0\.0\.1|::1)/);
      assert.deepEqual(proxy.connects, [`127.0.0.1:${server.port}`]);
      assert.equal(server.hits('/ok.png'), before);
    } finally {
      await http.close();
      await proxy.close();
    }
  });

  test('a name resolving to a private address is refused through the proxy; a public one goes through it', async () => {
    const proxy = await startConnectProxy();
    const answers: Record<string, string> = {
      'images.example': '93.184.216.34',
      'metadata.example': '169.254.169.254',
    };
    const http = createHttpClient(guarded, {
      env: { HTTP_PROXY: proxy.url },
      lookup: (host, _o, cb) => cb(null, [{ address: answers[host] ?? '10.0.0.1', family: 4 }]),
    });
    try {
      const error = await rejection(http.getText(`http://metadata.example:${server.port}/json`));
      assert.ok(error instanceof PrivateNetworkError, error.message);
      assert.deepEqual(proxy.connects, []);
      const response = await http.getJson<{ ok: boolean }>(`http://images.example:${server.port}/json`);
      assert.equal(response.data.ok, true);
      assert.deepEqual(proxy.connects, [`images.example:${server.port}`]);
    } finally {
      await http.close();
      await proxy.close();
    }
  });
});
