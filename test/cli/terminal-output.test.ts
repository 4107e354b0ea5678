// The CLI as people meet it in a shell: piped into `head` (the reader closes the pipe early), in
// a terminal that cannot move the cursor (TERM=dumb), and with NO_COLOR / FORCE_COLOR. Always the
// real process; a real pseudo-terminal (util-linux `script`) where a TTY is needed.
/* eslint-disable no-control-regex -- what these tests look for are the escape sequences themselves */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { JobSummary } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { BIN, cliWorkspaces, runCli, startCli, type CliResult } from './run-cli.ts';

let sim: Simulation;
let hanging: Simulation;
const spaces = cliWorkspaces('harvester-terminal-');

before(async () => {
  sim = await startSimulation({ sources: ['pexels', 'openverse'] });
  hanging = await startSimulation({ sources: ['duckduckgo_images'], hang: ['duckduckgo_images'] });
});
after(async () => {
  await sim.close();
  await hanging.close();
  spaces.dispose();
});

function workspace(): { cwd: string; env: Record<string, string> } {
  return spaces.next({ ...sim.env, ...hanging.env, SOURCE_TIMEOUT: '10', DUCKDUCKGO_IMAGES_TIMEOUT: '1' });
}

/** Runs the CLI with the reader of `which` gone before the process writes anything. */
function withClosedPipe(
  which: 'stdout' | 'stderr',
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<CliResult> {
  const run = startCli(args, options);
  run.child[which].destroy();
  return run.result;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a pseudo-terminal (stdout and stderr both on it); resolves with what it showed. */
function inTerminal(
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qec', `stty cols 120; exec ${command}`, '/dev/null'], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, text });
    });
  });
}

const CURSOR_CONTROL = /\x1b\[\d*[A-HJKF]/; // cursor moves and line erases
const COLOUR = /\x1b\[(?:3[1-3]|2)m/;
const SEARCH = ['search', 'puffin', '--sources', 'pexels,duckduckgo_images', '--limit', '2'];

describe('a closed pipe ends the CLI quietly with exit 0', () => {
  test('`harvester search --help | head -1`', async () => {
    const result = await withClosedPipe('stdout', ['search', '--help'], workspace());
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  test('`harvester jobs | head -1` with jobs in the store', async () => {
    const ws = workspace();
    for (const query of ['one', 'two']) {
      const seeded = await runCli(['search', query, '--sources', 'pexels', '--limit', '1'], ws);
      assert.equal(seeded.code, 0, seeded.stderr);
    }
    const result = await withClosedPipe('stdout', ['jobs'], ws);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    // Through a real shell pipeline too: head takes its line, harvester ends 0 (pipefail would say otherwise).
    const shell = spawn('bash', ['-c', `set -o pipefail; ${quote(process.execPath)} ${quote(BIN)} jobs | head -1`], {
      cwd: ws.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...ws.env },
    });
    let out = '';
    let err = '';
    shell.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    shell.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => shell.on('close', resolve));
    assert.equal(code, 0, err);
    assert.equal(err, '');
    assert.match(out, /^job\s+status/);
  });

  test('stderr closing during a job cancels the job and ends with exit 0', async () => {
    const ws = workspace();
    const result = await withClosedPipe('stderr', SEARCH, ws);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, '');
    const listed = await runCli(['jobs', '--json'], ws);
    const jobs = JSON.parse(listed.stdout) as JobSummary[];
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.status, 'cancelled', 'the job stopped with its reader, resumable');
  });
});

describe('cursor control and colour', () => {
  test('a terminal that takes cursor control gets live lines and coloured statuses', async () => {
    const shown = await inTerminal(SEARCH, { ...workspace(), env: { ...workspace().env, TERM: 'xterm-256color' } });
    assert.equal(shown.code, 3, shown.text);
    assert.match(shown.text, CURSOR_CONTROL);
    assert.match(shown.text, /\x1b\[32mok\x1b\[39m/, 'ok is green');
    assert.match(shown.text, /\x1b\[31mfailed\x1b\[39m/, 'failed is red');
    assert.match(shown.text, /Job \S+ \x1b\[33mpartial\x1b\[39m/, 'the job status is yellow');
  });

  test('TERM=dumb: no cursor control and no colour, even on a TTY', async () => {
    const ws = workspace();
    const shown = await inTerminal(SEARCH, { cwd: ws.cwd, env: { ...ws.env, TERM: 'dumb' } });
    assert.equal(shown.code, 3, shown.text);
    assert.doesNotMatch(shown.text, /\x1b/);
    assert.match(shown.text, /\[pexels\] ok: /, 'plain progress lines instead');
    assert.match(shown.text, /Job \S+ partial/);
  });

  test('NO_COLOR: live lines stay, colour goes', async () => {
    const ws = workspace();
    const shown = await inTerminal(SEARCH, { cwd: ws.cwd, env: { ...ws.env, TERM: 'xterm', NO_COLOR: '1' } });
    assert.equal(shown.code, 3, shown.text);
    assert.match(shown.text, CURSOR_CONTROL);
    assert.doesNotMatch(shown.text, COLOUR);
  });

  test('piped: plain lines; FORCE_COLOR colours them (and wins over NO_COLOR) without cursor control', async () => {
    const ws = workspace();
    const piped = await runCli(SEARCH, { cwd: ws.cwd, env: { ...ws.env, TERM: 'xterm' } });
    assert.equal(piped.code, 3, piped.stderr);
    assert.doesNotMatch(piped.stderr, /\x1b/);
    const forced = await runCli(SEARCH, {
      cwd: ws.cwd,
      env: { ...ws.env, TERM: 'xterm', FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    assert.equal(forced.code, 3, forced.stderr);
    assert.doesNotMatch(forced.stderr, CURSOR_CONTROL);
    assert.match(forced.stderr, /\[pexels\] \x1b\[32mok\x1b\[39m: /);
    assert.match(forced.stderr, /\x1b\[31mfailed\x1b\[39m/);
    // The table's columns still line up: colour codes are not counted as width.
    const rows = forced.stderr
      .replace(/\x1b\[\d+m/g, '')
      .split('\n')
      .filter((l) => /^(source|pexels|duckduckgo_images) /.test(l));
    assert.equal(rows.length, 3);
    assert.equal(new Set(rows.map((r) => r.indexOf(r.split(/\s{2,}/)[2]!))).size, 1, rows.join('\n'));
    const jobs = await runCli(['jobs'], { cwd: ws.cwd, env: { ...ws.env, FORCE_COLOR: '1' } });
    assert.match(jobs.stdout, /\x1b\[33mpartial\x1b\[39m/);
  });
});
