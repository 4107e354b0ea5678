// Lighthouse scores of the web UI's views, in Debian's Chromium, against `harvester serve --demo`
// (started here in a temporary folder, after one demo job so that the views have something to
// show). Lighthouse is not a dependency of the project: it is run with npx at a pinned version
// that works on Node 20, or from LIGHTHOUSE_BIN.
//
// Usage: node bench/lighthouse.mjs [--mobile]
// Prints one line per view: performance, accessibility, best practices (0–100).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const LIGHTHOUSE = process.env.LIGHTHOUSE_BIN ? [process.env.LIGHTHOUSE_BIN] : ['npx', '--yes', 'lighthouse@12.8.2'];
const CHROME = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const mobile = process.argv.includes('--mobile');
const VIEWS = ['#/', '#/history', '#/logs', '#/dashboard'];

const dir = mkdtempSync(join(tmpdir(), 'harvester-lighthouse-'));
const server = spawn(process.execPath, [join(ROOT, 'bin', 'harvester.js'), 'serve', '--demo', '--port', '0'], {
  cwd: dir,
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const url = await new Promise((res, rej) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /^(http:\/\/\S+)\n/m.exec(out);
      if (match) res(match[1]);
    });
    server.on('exit', (code) => rej(new Error(`serve exited with ${code}`)));
  });
  // One finished job: the job view, history and dashboard then show real content.
  const created = await (
    await fetch(`${url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'aurora', sources: ['google_images', 'unsplash'], limit: 3 }),
    })
  ).json();
  for (;;) {
    const job = await (await fetch(`${url}/api/jobs/${created.job_id}`)).json();
    if (!['queued', 'running'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const views = [...VIEWS, `#/jobs/${created.job_id}`];
  console.log(
    `lighthouse ${execFileSync(LIGHTHOUSE[0], [...LIGHTHOUSE.slice(1), '--version'], { encoding: 'utf8' }).trim()} · ${mobile ? 'mobile' : 'desktop'} · ${CHROME}`,
  );
  for (const view of views) {
    const report = join(dir, 'report.json');
    execFileSync(
      LIGHTHOUSE[0],
      [
        ...LIGHTHOUSE.slice(1),
        `${url}/${view}`,
        '--quiet',
        '--output=json',
        `--output-path=${report}`,
        '--only-categories=performance,accessibility,best-practices',
        ...(mobile ? [] : ['--preset=desktop']),
        '--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run',
      ],
      { env: { ...process.env, CHROME_PATH: CHROME }, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const { categories } = JSON.parse(readFileSync(report, 'utf8'));
    const score = (id) => Math.round(categories[id].score * 100);
    console.log(
      `${view.startsWith('#/jobs/') ? '#/jobs/<id>' : view}\tperformance ${score('performance')}\taccessibility ${score('accessibility')}\tbest practices ${score('best-practices')}`,
    );
  }
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
