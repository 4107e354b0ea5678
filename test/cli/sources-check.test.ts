// `harvester sources --check` as a user runs it: the real CLI against the simulation and fake
// servers standing in for the sources, one per outcome, with its exit codes, --json, the table
// and the result kept in source health.
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { fakeServer, type FakeServer } from '../sources/source-harness.ts';
import { cliWorkspaces, runCli } from './run-cli.ts';

interface CheckRow {
  id: string;
  status: string;
  found: number;
  duration_ms: number;
  detail: string;
}

let sim: Simulation;
let hanging: Simulation;
let changed: FakeServer;
let captcha: FakeServer;
const spaces = cliWorkspaces('harvester-check-');

before(async () => {
  sim = await startSimulation({ sources: ['pexels', 'openverse', 'wikimedia_commons'] });
  hanging = await startSimulation({ sources: ['duckduckgo_images'], hang: ['duckduckgo_images'] });
  // Bing's list holds items of a shape the parser does not know.
  changed = await fakeServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      `<div class="dgControl"><ul class="dgControl_list">${'<li><div class="tile"><img src="https://x.org/a.jpg"></div></li>'.repeat(12)}</ul></div>`,
    );
  });
  // Yandex answers its SmartCaptcha form with a 200 at the search path.
  captcha = await fakeServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      '<html><body><form method="POST" action="/checkcaptcha?key=abc"><span>Я не робот</span></form></body></html>',
    );
  });
});
after(async () => {
  await Promise.all([sim.close(), hanging.close(), changed.close(), captcha.close()]);
  spaces.dispose();
});

function workspace(extra: Record<string, string> = {}): { cwd: string; env: Record<string, string> } {
  return spaces.next({
    ...sim.env,
    ...hanging.env,
    BING_IMAGES_BASE_URL: changed.origin,
    YANDEX_IMAGES_BASE_URL: captcha.origin,
    SOURCE_TIMEOUT: '10',
    DUCKDUCKGO_IMAGES_TIMEOUT: '1',
    ...extra,
  });
}

describe('harvester sources --check', () => {
  test('reports every outcome with its evidence, exits 3 when some are ok, and keeps the result in source health', async () => {
    const ws = workspace({ PIXABAY_API_KEY: '' });
    const started = performance.now();
    const r = await runCli(
      [
        'sources',
        '--check',
        '--json',
        '--sources',
        'pexels,openverse,wikimedia_commons,bing_images,yandex_images,duckduckgo_images,pixabay',
      ],
      ws,
    );
    const wallMs = performance.now() - started;
    assert.equal(r.code, 3, r.stderr);
    const rows = JSON.parse(r.stdout) as CheckRow[];
    const by = new Map(rows.map((row) => [row.id, row]));
    for (const row of rows)
      assert.deepEqual(Object.keys(row).sort(), ['detail', 'duration_ms', 'found', 'id', 'status']);
    for (const id of ['pexels', 'openverse', 'wikimedia_commons']) {
      const row = by.get(id)!;
      assert.equal(row.status, 'ok', `${id}: ${row.detail}`);
      assert.ok(row.found > 0, `${id} found ${row.found}`);
      assert.match(row.detail, /^found \d+ for "/);
    }
    assert.equal(by.get('bing_images')!.status, 'layout_changed');
    assert.match(
      by.get('bing_images')!.detail,
      /^bing_images: layout changed: 12 result items .*, none readable as a\.iusc\[m\]/,
    );
    assert.equal(by.get('yandex_images')!.status, 'blocked');
    assert.equal(by.get('yandex_images')!.detail, 'yandex_images: blocked: a /checkcaptcha captcha form');
    // The hanging source ends at its own deadline, and so does the whole check.
    const hung = by.get('duckduckgo_images')!;
    assert.equal(hung.status, 'unreachable');
    assert.equal(hung.detail, 'Timeout after 1s');
    assert.ok(hung.duration_ms >= 950 && hung.duration_ms < 3000, `${hung.duration_ms} ms for a 1 s deadline`);
    assert.ok(wallMs < 15_000, `check took ${Math.round(wallMs)} ms`);
    assert.equal(by.get('pixabay')!.status, 'not_configured');
    assert.equal(by.get('pixabay')!.detail, 'pixabay: needs PIXABAY_API_KEY');
    assert.equal(by.get('pixabay')!.duration_ms < 100, true);

    const listed = await runCli(['sources', '--json'], ws);
    assert.equal(listed.code, 0, listed.stderr);
    const health = new Map(
      (
        JSON.parse(listed.stdout) as {
          id: string;
          health: { last_check: { status: string; detail: string } | null } | null;
        }[]
      ).map((s) => [s.id, s.health]),
    );
    assert.equal(health.get('bing_images')!.last_check!.status, 'layout_changed');
    assert.equal(health.get('pexels')!.last_check!.status, 'ok');
    assert.equal(health.get('google_images')?.last_check ?? null, null, 'an unchecked source has no last check');
    const table = await runCli(['sources'], ws);
    assert.match(table.stdout, /bing_images .*layout_changed \(\d{4}-/);
  });

  test('exit 0 when every checked source is ok, with a table on stdout', async () => {
    const ws = workspace();
    const r = await runCli(['sources', '--check', '--sources', 'pexels,openverse'], ws);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^id\s+status\s+found\s+time\s+detail/m);
    assert.match(r.stdout, /^pexels\s+ok\s+\d+/m);
  });

  test('exit 1 when none is ok; a bad --sources is a usage error', async () => {
    const ws = workspace({ PEXELS_API_KEY: '' });
    const r = await runCli(['sources', '--check', '--json', '--sources', 'pexels,bing_images'], ws);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as CheckRow[]).map((c) => c.status),
      ['layout_changed', 'not_configured'],
    );
    const bad = await runCli(['sources', '--check', '--sources', 'nope'], ws);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown source nope/);
  });
});
