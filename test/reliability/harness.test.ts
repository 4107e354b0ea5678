// The reliability harness's own checks must be able to fail: these feed them known-bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAgreement, type RecordedFile } from '../../reliability/lib/disk-state.ts';
import { fitLine, percentile } from '../../reliability/lib/stats.ts';
import { renderPlot } from '../../reliability/lib/svg-plot.ts';

test('a least-squares line recovers a known slope and a flat series has none', () => {
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const fit = fitLine(
    xs,
    xs.map((x) => 3 * x + 7),
  );
  assert.ok(Math.abs(fit.slope - 3) < 1e-9);
  assert.ok(Math.abs(fit.intercept - 7) < 1e-9);
  assert.equal(
    fitLine(
      xs,
      xs.map(() => 5),
    ).slope,
    0,
  );
});

test('percentiles use the nearest rank', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile([5], 99), 5);
});

test('disk/database agreement flags missing, resized, partial and unrecorded files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-rel-agree-'));
  try {
    mkdirSync(join(dir, 'q', 'src'), { recursive: true });
    const body = Buffer.from('png-bytes');
    const sha = createHash('sha256').update(body).digest('hex');
    writeFileSync(join(dir, 'q/src/q_001.png'), body);
    const good: RecordedFile = {
      job_id: 'j',
      path: 'q/src/q_001.png',
      bytes: body.length,
      sha256: sha,
      candidate_id: 'src:1',
    };
    assert.deepEqual(checkAgreement([good], dir).problems, []);

    const problems = (recorded: RecordedFile[]): string => checkAgreement(recorded, dir).problems.join('\n');
    assert.match(
      problems([good, { ...good, path: 'q/src/q_002.png', candidate_id: 'src:2', sha256: 'x' }]),
      /missing on disk/,
    );
    assert.match(problems([{ ...good, bytes: 3 }]), /3 recorded/);
    assert.match(problems([{ ...good, sha256: '0'.repeat(64) }]), /SHA-256/);
    writeFileSync(join(dir, 'q/src/q_003.png'), body);
    assert.match(problems([good]), /unrecorded media file: q\/src\/q_003.png/);
    rmSync(join(dir, 'q/src/q_003.png'));
    writeFileSync(join(dir, 'q/src/q_004.png.part'), 'half');
    assert.match(problems([good]), /partial file left/);
    rmSync(join(dir, 'q/src/q_004.png.part'));
    writeFileSync(join(dir, 'q/manifest.json'), '{}');
    assert.deepEqual(checkAgreement([good], dir).problems, [], 'manifests are metadata, not media');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the plot is an SVG with a curve and a fit line, and escapes its labels', () => {
  const xs = Array.from({ length: 20 }, (_, i) => i);
  const svg = renderPlot([{ title: 'RSS <proc>', unit: 'MB', xs, ys: xs.map((x) => 100 + x) }], {
    xLabel: 'job',
    warmupX: 5,
  });
  assert.match(svg, /^<svg /);
  assert.match(svg, /<polyline /);
  assert.match(svg, /stroke-dasharray/);
  assert.match(svg, /RSS &lt;proc&gt;/);
});
