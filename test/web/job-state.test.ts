// The live job view's model, folded from real runner events of a real job (a simulated source
// that times out), compared with the job document the runner produced.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunnerEvent } from '../../src/core/events.ts';
import type { JobDocument } from '../../src/core/types.ts';
import { applyEvent, stateFromDocument } from '../../src/web/job-state.ts';
import { startTestServer, type TestServer } from '../server/helpers.ts';

let s: TestServer;
let doc: JobDocument;
let history: RunnerEvent[];

before(async () => {
  s = await startTestServer({
    sources: ['google_images', 'bing_images'],
    hang: ['bing_images'],
    env: { BING_IMAGES_TIMEOUT: '0.5' },
  });
  const submitted = await s.jobs.submit({
    query: 'tern',
    sources: ['google_images', 'bing_images'],
    limit: 3,
    type: 'image',
  });
  doc = await s.jobs.wait(submitted.job_id);
  history = await s.jobs.history(submitted.job_id);
});
after(async () => {
  await s.dispose();
});

describe('the job view state', () => {
  test("folds a job's events into what its document says", () => {
    const state = stateFromDocument({ ...doc, status: 'queued' });
    for (const event of history) applyEvent(state, event);
    assert.equal(state.finished, true);
    assert.equal(state.status, 'partial');
    assert.equal(state.files.size, 3);
    const google = state.sources.get('google_images')!;
    assert.equal(google.phase, 'ok');
    assert.equal(google.downloaded, 3);
    const bing = state.sources.get('bing_images')!;
    assert.equal(bing.phase, 'timeout');
    assert.equal(bing.error, 'Timeout after 0.5s');
    assert.ok(state.activity.some((a) => a.kind === 'source_error' && a.source === 'bing_images'));
  });

  test('ignores replayed events and follows a second run after a job_finished', () => {
    const state = stateFromDocument(doc);
    for (const event of history) applyEvent(state, event);
    assert.equal(applyEvent(state, history[3]!), null, 'an event already applied changes nothing');
    const last = history.at(-1)!.seq;
    const rerun = {
      type: 'job_started',
      job_id: doc.job_id,
      ts: new Date().toISOString(),
      seq: last + 1,
      query: doc.query,
      sources: ['bing_images'],
      limit: 3,
      media_type: 'image',
      resumed: true,
    } as RunnerEvent;
    applyEvent(state, rerun);
    assert.equal(state.finished, false);
    assert.equal(state.status, 'running');
    assert.equal(state.files.size, 3, 'files of the first run stay');
  });
});
