// Server bounds over raw sockets: slow headers and slow bodies are cut off (408), open
// connections are capped, event streams per client are capped (429), and the job queue is capped
// at MAX_QUEUED_JOBS (503 with Retry-After, nothing created).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { call, startTestServer, type TestServer } from './helpers.ts';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.dispose();
});
const portOf = (s: TestServer): number => Number(new URL(s.url).port);

/** Opens a socket, writes `first`, then one byte of `drip` every `everyMs` until the server closes it; resolves with what it answered. */
async function trickle(
  port: number,
  first: string,
  drip: string,
  everyMs: number,
): Promise<{ answer: string; sent: number }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  let sent = 0;
  socket.on('data', (c: Buffer) => (answer += c.toString()));
  socket.on('error', () => {});
  socket.write(first);
  const timer = setInterval(() => {
    if (sent < drip.length && !socket.destroyed) socket.write(drip[sent++]!);
  }, everyMs);
  await once(socket, 'close');
  clearInterval(timer);
  return { answer, sent };
}

describe('request time limits', () => {
  test(
    'a body that trickles in is cut off with 408 before it completes; so are trickling headers',
    { timeout: 60_000 },
    async () => {
      const s = await startTestServer({ limits: { requestTimeoutMs: 1500, headersTimeoutMs: 1000 } });
      servers.push(s);
      const body = JSON.stringify({ query: 'slow', sources: ['google_images'], limit: 1 }).padEnd(400, ' ');
      const slowBody = await trickle(
        portOf(s),
        `POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        body,
        50,
      );
      assert.match(slowBody.answer, /^HTTP\/1\.1 408/);
      assert.ok(slowBody.sent < body.length, `cut off after ${slowBody.sent} of ${body.length} bytes`);
      const slowHeaders = await trickle(portOf(s), 'GET /api/jobs HTTP/1.1\r\n', 'X-Pad: '.padEnd(400, 'a'), 50);
      assert.match(slowHeaders.answer, /^HTTP\/1\.1 408/);
      assert.equal((await call(s.url, 'GET', '/api/jobs')).status, 200, 'others are served meanwhile');
      assert.equal(
        ((await call(s.url, 'GET', '/api/jobs')).body as { jobs: unknown[] }).jobs.length,
        0,
        'the cut-off POST created nothing',
      );
    },
  );
});

describe('bodies refused before they are read', () => {
  /** Sends a POST /api/jobs head announcing `length` bytes, waits for the answer, then sends `sendAfter` bytes of body. */
  async function refuseThenSend(port: number, length: number, sendAfter: number) {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    let writeError: string | null = null;
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (writeError = e.code ?? e.message));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
    );
    while (!answer.includes('\r\n\r\n') || !answer.includes('}')) await once(socket, 'data');
    const refusal = answer;
    answer = '';
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < sendAfter && !socket.destroyed; sent += chunk.length) {
      if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
    }
    return { socket, closed, refusal, answer: () => answer, writeError: () => writeError };
  }

  test('a too-large body is answered 413 and read to its end: the connection serves the next request', async () => {
    const s = await startTestServer();
    servers.push(s);
    const length = 3 * 1024 * 1024;
    const r = await refuseThenSend(portOf(s), length, length);
    assert.match(r.refusal, /^HTTP\/1\.1 413/);
    assert.match(r.refusal, /"code":"BODY_TOO_LARGE"/);
    assert.doesNotMatch(r.refusal, /connection: close/i);
    r.socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    while (!/\r\n\r\n[\s\S]*\}/.test(r.answer()) && !r.socket.destroyed) await once(r.socket, 'data');
    assert.equal(r.writeError(), null, 'the body was sent whole, without a reset');
    assert.match(r.answer(), /^HTTP\/1\.1 200/, 'the same connection answers the next request');
    r.socket.destroy();
  });

  test('past 8 MiB of a refused body the server cuts the connection and stays up', async () => {
    const s = await startTestServer();
    servers.push(s);
    const r = await refuseThenSend(portOf(s), 64 * 1024 * 1024, 32 * 1024 * 1024);
    assert.match(r.refusal, /^HTTP\/1\.1 413/);
    await r.closed;
    assert.ok(r.writeError() !== null, 'the connection was cut');
    assert.equal((await call(s.url, 'GET', '/api/health')).status, 200);
  });
});

describe('connection and stream caps', () => {
  test(
    'connections past the cap are refused at accept; room comes back when one closes',
    { timeout: 60_000 },
    async () => {
      const s = await startTestServer({ limits: { maxConnections: 3 } });
      servers.push(s);
      const held: Socket[] = [];
      for (let i = 0; i < 3; i++) {
        const socket = connect(portOf(s), '127.0.0.1');
        await once(socket, 'connect');
        socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        await once(socket, 'data');
        held.push(socket);
      }
      const extra = connect(portOf(s), '127.0.0.1');
      extra.on('error', () => {});
      let answered = false;
      extra.on('data', () => (answered = true));
      extra.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await once(extra, 'close');
      assert.equal(answered, false, 'the fourth connection got no answer');
      held[0]!.destroy();
      await once(held[0]!, 'close');
      // The server notices the close a moment later; wait on the answer, not on a timer.
      let status = 0;
      while (status !== 200) status = (await call(s.url, 'GET', '/api/health').catch(() => ({ status: 0 }))).status;
      for (const socket of held) socket.destroy();
    },
  );

  test('one client may hold at most maxStreamsPerClient event streams (429 past it)', { timeout: 60_000 }, async () => {
    const s = await startTestServer({
      hang: ['google_images'],
      env: { GOOGLE_IMAGES_TIMEOUT: '30' },
      limits: { maxStreamsPerClient: 2 },
    });
    servers.push(s);
    const created = await call(s.url, 'POST', '/api/jobs', {
      body: { query: 'streams', sources: ['google_images'], limit: 1 },
    });
    const id = (created.body as { job_id: string }).job_id;
    const open = async (): Promise<{ status: number; controller: AbortController }> => {
      const controller = new AbortController();
      const answer = await fetch(`${s.url}/api/jobs/${id}/events`, { signal: controller.signal });
      if (answer.status !== 200) await answer.text();
      return { status: answer.status, controller };
    };
    const first = await open();
    const second = await open();
    assert.deepEqual([first.status, second.status], [200, 200]);
    const third = await open();
    assert.equal(third.status, 429);
    first.controller.abort();
    let again = await open();
    while (again.status === 429) again = await open();
    assert.equal(again.status, 200, 'a closed stream frees its place');
    second.controller.abort();
    again.controller.abort();
    await call(s.url, 'POST', `/api/jobs/${id}/cancel`);
  });
});

describe('MAX_QUEUED_JOBS', () => {
  test(
    'past the cap POST /api/jobs answers 503 with Retry-After and creates nothing',
    { timeout: 60_000 },
    async () => {
      const s = await startTestServer({
        hang: ['google_images'],
        env: { MAX_CONCURRENT_JOBS: '1', MAX_QUEUED_JOBS: '2', GOOGLE_IMAGES_TIMEOUT: '30' },
      });
      servers.push(s);
      const submit = () =>
        call(s.url, 'POST', '/api/jobs', { body: { query: 'queue', sources: ['google_images'], limit: 1 } });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await submit()).status);
      assert.deepEqual(statuses, [202, 202, 202], 'one running and two waiting');
      const refused = await submit();
      assert.equal(refused.status, 503, refused.text);
      assert.equal((refused.body as { code: string }).code, 'QUEUE_FULL');
      assert.match((refused.body as { message: string }).message, /queue is full.*MAX_QUEUED_JOBS/);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal(((await call(s.url, 'GET', '/api/jobs')).body as { jobs: unknown[] }).jobs.length, 3);
      for (const job of ((await call(s.url, 'GET', '/api/jobs')).body as { jobs: { job_id: string }[] }).jobs)
        await call(s.url, 'POST', `/api/jobs/${job.job_id}/cancel`);
    },
  );
});
