// Runs of a job over the event stream: a retry or resume appends a new run to the job's history,
// every event carries its `run`, and a stream opened while a later run is live ends after that
// run's `job_finished` — not after the first one it replays — so a client following the job sees
// the run it came for.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunnerEvent } from '../../src/core/events.ts';
import { call, readSse, serverFactory, submit, type SseMessage } from './helpers.ts';

const server = serverFactory();

function events(messages: SseMessage[]): RunnerEvent[] {
  return messages.map((m) => JSON.parse(m.data) as RunnerEvent);
}

/** Which run each event belongs to, as [seq, run] for the job_started / job_finished that bound them. */
function runBounds(list: RunnerEvent[]): [string, number][] {
  return list.filter((e) => e.type === 'job_started' || e.type === 'job_finished').map((e) => [e.type, e.run]);
}

describe('runs of a job on its event stream', () => {
  test('a stream opened on a retried job carries run numbers and ends after the live run, not the first', async () => {
    // bing hangs until its 2 s deadline: run 1 ends partial, and the retry (bing alone) stays live for ~2 s.
    const s = await server({
      sources: ['google_images', 'bing_images'],
      hang: ['bing_images'],
      env: { BING_IMAGES_TIMEOUT: '2' },
    });
    const id = await submit(s, { query: 'gull', sources: ['google_images', 'bing_images'], limit: 1 });
    assert.equal((await s.jobs.wait(id)).status, 'partial');
    const firstRun = await s.jobs.history(id);
    const firstFinished = firstRun.at(-1)!;
    assert.equal(firstFinished.type, 'job_finished');
    assert.ok(
      firstRun.every((e) => e.run === 1),
      'every event of the first run says run 1',
    );

    assert.equal((await call(s.url, 'POST', `/api/jobs/${id}/retry`)).status, 202);
    // Opened while the second run is live; two clients at once:
    // one reads until the server ends the stream, the other closes on the first job_finished it
    // gets after the one it has already seen (as EventSource reconnecting with Last-Event-ID does).
    const [whole, closer] = await Promise.all([
      readSse(`${s.url}/api/jobs/${id}/events`, { timeoutMs: 15_000 }),
      readSse(`${s.url}/api/jobs/${id}/events`, {
        headers: { 'last-event-id': String(firstFinished.seq) },
        stop: (messages) => messages.some((m) => m.event === 'job_finished'),
        timeoutMs: 15_000,
      }),
    ]);

    assert.equal(whole.ended, true, 'the server ended the stream');
    const all = events(whole.messages);
    assert.deepEqual(runBounds(all), [
      ['job_started', 1],
      ['job_finished', 1],
      ['job_started', 2],
      ['job_finished', 2],
    ]);
    assert.equal(all.at(-1)!.type, 'job_finished', "it ended right after the live run's job_finished");
    assert.deepEqual(all, await s.jobs.history(id), 'every event once, in order');
    for (const e of all) assert.equal(e.run, e.seq <= firstFinished.seq ? 1 : 2, `event ${e.seq} (${e.type})`);

    const seen = events(closer.messages);
    assert.equal(seen[0]!.type, 'job_started');
    assert.equal(seen[0]!.run, 2);
    assert.equal((seen[0] as Extract<RunnerEvent, { type: 'job_started' }>).resumed, true);
    const finished = seen.at(-1)!;
    assert.equal(finished.type, 'job_finished');
    assert.equal(finished.run, 2);
    assert.ok(
      seen.some((e) => e.type === 'source_finished' && e.source === 'bing_images' && e.run === 2),
      "the second run's own events",
    );
  });

  test('a resumed job is the next run; an ended job replays every run and ends after the last', async () => {
    const s = await server({
      sources: ['google_images', 'bing_images'],
      hang: ['bing_images'],
      env: { BING_IMAGES_TIMEOUT: '2' },
    });
    const id = await submit(s, { query: 'tern', sources: ['bing_images'], limit: 1 });
    // Cancel run 1 once bing has started, then resume it (run 2) and retry what still failed (run 3).
    await readSse(`${s.url}/api/jobs/${id}/events`, {
      stop: (m) => m.some((x) => x.event === 'source_started'),
      timeoutMs: 15_000,
    });
    assert.equal((await call(s.url, 'POST', `/api/jobs/${id}/cancel`)).status, 202);
    assert.equal((await s.jobs.wait(id)).status, 'cancelled');
    assert.equal((await call(s.url, 'POST', `/api/jobs/${id}/resume`)).status, 202);
    const resumed = await readSse(`${s.url}/api/jobs/${id}/events`, { timeoutMs: 15_000 });
    assert.equal(resumed.ended, true);
    assert.deepEqual(runBounds(events(resumed.messages)), [
      ['job_started', 1],
      ['job_finished', 1],
      ['job_started', 2],
      ['job_finished', 2],
    ]);
    assert.equal((await s.jobs.wait(id)).status, 'failed');
    assert.equal((await call(s.url, 'POST', `/api/jobs/${id}/retry`)).status, 202);
    assert.equal((await s.jobs.wait(id)).status, 'failed');

    const replay = await readSse(`${s.url}/api/jobs/${id}/events`, { timeoutMs: 15_000 });
    assert.equal(replay.ended, true);
    const all = events(replay.messages);
    assert.deepEqual(runBounds(all), [
      ['job_started', 1],
      ['job_finished', 1],
      ['job_started', 2],
      ['job_finished', 2],
      ['job_started', 3],
      ['job_finished', 3],
    ]);
    assert.deepEqual(all, await s.jobs.history(id));
    // After the last run's end the client has seen everything: 204, as for a job with one run.
    const done = await readSse(`${s.url}/api/jobs/${id}/events`, {
      headers: { 'last-event-id': String(all.at(-1)!.seq) },
    });
    assert.equal(done.status, 204);
  });
});
