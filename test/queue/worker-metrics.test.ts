// A worker's own /metrics (`harvester worker --metrics-port`) as Prometheus reads it: the same
// process metrics as a server's, its gauges labelled by worker, and nothing promtool warns about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerRegistry } from '../../src/queue/metrics.ts';
import { promtoolCheck } from '../helpers/promtool.ts';

test("a worker's metrics pass promtool check metrics with no warning, named like the server's", async () => {
  const registry = workerRegistry(() => ({
    worker: 'host-a:4242',
    concurrency: 3,
    active_runs: 2,
    completed_runs: 7,
    failed_runs: 1,
    started_at: new Date(0).toISOString(),
  }));
  const text = await registry.metrics();
  const result = await promtoolCheck(text);
  assert.equal(result.output.trim(), '', `promtool said: ${result.output}`);
  assert.equal(result.code, 0);
  assert.match(text, /^harvester_worker_concurrency\{worker="host-a:4242"\} 3$/m);
  assert.match(text, /^harvester_worker_active_source_runs\{worker="host-a:4242"\} 2$/m);
  assert.match(text, /^harvester_process_cpu_seconds_total \d/m);
  assert.doesNotMatch(text, /process_process|nodejs_active_handles_total/);
});
