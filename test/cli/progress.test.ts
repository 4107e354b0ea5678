// Live progress on stderr: lines redrawn in place on a terminal, plain event lines elsewhere.
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { RunnerEvent } from '../../src/core/events.ts';
import { emptySourceStats, type SavedFile } from '../../src/core/types.ts';
import { createProgress } from '../../src/cli/progress.ts';

function stream(isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: () => string };
  w.isTTY = isTTY;
  w.columns = 100;
  w.text = () => chunks.join('');
  return w;
}

const base = { job_id: 'j1', ts: new Date().toISOString(), seq: 1, run: 1 };
const file = { path: 'nature/pexels/nature_001.png', bytes: 2048, duration_ms: 120 } as SavedFile;
const events: RunnerEvent[] = [
  {
    ...base,
    type: 'job_started',
    query: 'nature',
    sources: ['pexels', 'bing_images'],
    limit: 2,
    media_type: 'image',
    resumed: false,
  },
  { ...base, type: 'source_started', source: 'pexels', timeout_ms: 30_000 },
  {
    ...base,
    type: 'candidate_found',
    source: 'pexels',
    candidate_id: 'pexels:1',
    url: 'http://x/1',
    kind: 'image',
    title: null,
    page_url: null,
    thumbnail_url: null,
    width: null,
    height: null,
  },
  { ...base, type: 'file_saved', source: 'pexels', file, index: 0 },
  {
    ...base,
    type: 'source_finished',
    source: 'pexels',
    stats: { ...emptySourceStats(), status: 'ok', downloaded: 1, found: 1, images: 1, success: true, duration_ms: 300 },
  },
  {
    ...base,
    type: 'source_finished',
    source: 'bing_images',
    stats: {
      ...emptySourceStats(),
      status: 'failed',
      error: 'Timeout after 30s',
      error_code: 'timeout',
      duration_ms: 30_000,
    },
  },
  { ...base, job_id: 'other-job', type: 'source_started', source: 'unsplash', timeout_ms: 1000 },
];

const ESC = '\x1b';

test('on a terminal, one line per source is redrawn in place', (t) => {
  // The redraw is timer-driven: fake timers move it on without waiting in real time.
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const out = stream(true);
  const progress = createProgress(out, { jobId: () => 'j1', env: { TERM: 'xterm' } });
  for (const e of events.slice(0, 4)) progress.onEvent(e);
  assert.doesNotMatch(out.text(), /pexels/, 'nothing is drawn before the redraw timer fires');
  t.mock.timers.tick(250); // a redraw happens while the job runs
  assert.match(out.text(), /pexels\s+running\s+found\s+1\s+saved 1\/2/);
  for (const e of events.slice(4)) progress.onEvent(e);
  progress.stop();
  const text = out.text();
  assert.ok(text.includes(`${ESC}[2K`), 'lines are cleared before they are redrawn');
  assert.ok(text.includes(`${ESC}[2F`), 'the cursor goes back up over the two lines');
  const frames = text.split(`${ESC}[2F`);
  const painted = frames
    .at(-1)!
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(`${ESC}[2K`, ''));
  assert.ok(painted[0]!.includes(`${ESC}[32mok${ESC}[39m`), 'ok is green');
  assert.ok(painted[1]!.includes(`${ESC}[31mfailed${ESC}[39m`), 'failed is red');
  // Colour never shifts a column: without the codes the lines read as they would uncoloured.
  const last = painted.map((l) => l.replace(new RegExp(`${ESC}\\[\\d+m`, 'g'), ''));
  assert.equal(last.length, 2, 'one line per source of this job, none for another job');
  assert.match(last[0]!, /^pexels\s+ok\s+found\s+1\s+saved 1\/2\s+failed 0\s+300ms$/);
  assert.match(last[1]!, /^bing_images\s+failed\s+found\s+0\s+saved 0\/2\s+failed 0\s+30\.0s\s+Timeout after 30s$/);
});

test('elsewhere, each notable event is one plain line and nothing is redrawn', () => {
  const out = stream(false);
  const progress = createProgress(out, { jobId: () => 'j1', env: { TERM: 'xterm' } });
  for (const e of events) progress.onEvent(e);
  progress.stop();
  const text = out.text();
  assert.ok(!text.includes(ESC));
  assert.deepEqual(text.trimEnd().split('\n'), [
    'job j1: "nature" from pexels, bing_images (limit 2, image)',
    '[pexels] started (deadline 30.0s)',
    '[pexels] saved nature/pexels/nature_001.png (2.0 KB, 120ms)',
    '[pexels] ok: 1 saved, 0 failed, 1 found in 300ms',
    '[bing_images] failed: 0 saved, 0 failed, 0 found in 30.0s — Timeout after 30s',
  ]);
});
