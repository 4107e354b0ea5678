// The event stream of a job whose events several processes number (the distributed mode): when
// seq n + 1 arrives live while n is still being recorded by a slower writer, the stream waits for
// n and sends both in order instead of skipping n for good. A job service of the test's own feeds
// the stream (the store and the live feed of a real cluster cannot be made this slow on purpose);
// the stream runs behind a real HTTP server and is read by a real client.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import type { EventListener, RunnerEvent } from '../../src/core/events.ts';
import type { JobService } from '../../src/jobs/service.ts';
import { startEventStream } from '../../src/server/event-stream.ts';

function event(seq: number, type: RunnerEvent['type'], extra: Record<string, unknown> = {}): RunnerEvent {
  return { type, seq, run: 1, job_id: 'j1', ts: new Date().toISOString(), ...extra } as unknown as RunnerEvent;
}

test('a live event ahead of one still being recorded waits for it: both arrive, in order', async () => {
  const stored: RunnerEvent[] = [event(1, 'job_started')];
  const listeners = new Set<EventListener>();
  const live = (e: RunnerEvent): void => listeners.forEach((l) => l(e));
  const jobs = {
    history: async (_id: string, after: number) => stored.filter((e) => e.seq > after),
    subscribe: (listener: EventListener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get: async () => ({ id: 'j1', status: 'running' }),
  } as unknown as JobService;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    startEventStream(res, {
      jobs,
      jobId: 'j1',
      afterSeq: 0,
      heartbeatMs: 60_000,
      maxBufferedBytes: 1 << 20,
      retryMs: 1000,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
    const reading = res.text();
    await new Promise((r) => setTimeout(r, 200));
    // Seq 3 is recorded and published by a fast writer; seq 2's writer records it 600 ms later.
    const third = event(3, 'source_started', { source: 'pexels', worker: 'b:2' });
    stored.push(third);
    live(third);
    await new Promise((r) => setTimeout(r, 600));
    const second = event(2, 'source_started', { source: 'openverse', worker: 'a:1' });
    stored.push(second);
    stored.sort((a, b) => a.seq - b.seq);
    live(second);
    const finished = event(4, 'job_finished', { job: { id: 'j1', status: 'completed' } });
    stored.push(finished);
    live(finished);
    const ids = [...(await reading).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(ids, [1, 2, 3, 4]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
