// GET /metrics as Prometheus's own checker reads it: the real server's answer, after a job with a
// source that times out (so histograms, labels and counters all have series), piped into
// `promtool check metrics`, which exits non-zero on any problem and prints warnings on stdout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, startTestServer, type TestServer } from './helpers.ts';
import { promtoolCheck } from '../helpers/promtool.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({
    sources: ['google_images', 'bing_images'],
    hang: ['bing_images'],
    env: { BING_IMAGES_TIMEOUT: '0.5' },
  });
  const answer = await call(s.url, 'POST', '/api/jobs', {
    body: { query: 'kittiwake', sources: ['google_images', 'bing_images'], limit: 2 },
  });
  const job = await s.jobs.wait((answer.body as { job_id: string }).job_id);
  assert.equal(job.status, 'partial');
});
after(async () => {
  await s.dispose();
});

test('promtool check metrics passes on the real /metrics with no warning', async () => {
  const response = await fetch(`${s.url}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  const result = await promtoolCheck(text);
  assert.equal(result.output.trim(), '', `promtool said: ${result.output}`);
  assert.equal(result.code, 0);
});

test('names: one prefix, bytes in base units, _total only on counters, job gauges now and counters since start', async () => {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  for (const [name, type] of types) {
    assert.match(name, /^harvester_/, name);
    assert.doesNotMatch(name, /^harvester_process_process_|^harvester_harvester_/, name);
    if (name.endsWith('_total')) assert.equal(type, 'counter', `${name} ends in _total but is a ${type}`);
  }
  assert.equal(types.get('harvester_process_cpu_seconds_total'), 'counter');
  assert.equal(types.get('harvester_saved_bytes_total'), 'counter');
  assert.equal(types.get('harvester_bytes_saved_total'), undefined);
  assert.equal(types.get('harvester_jobs'), 'gauge');
  assert.equal(types.get('harvester_jobs_finished_total'), 'counter');
  // The gauge holds only what is true now; ended jobs are counted by the counter.
  assert.deepEqual(
    [...text.matchAll(/^harvester_jobs\{status="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], m[2]]),
    [
      ['queued', '0'],
      ['running', '0'],
    ],
  );
  assert.match(text, /^harvester_jobs_finished_total\{status="partial"\} 1$/m);
  assert.match(text, /^harvester_jobs_finished_total\{status="completed"\} 0$/m);
});
