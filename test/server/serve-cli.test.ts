// `harvester serve` as a real process: refusals exit 2 with a clear message before listening;
// a started server prints its URL, answers, and stops with 0 on SIGINT.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'harvester.js');
const dir = mkdtempSync(join(tmpdir(), 'harvester-serve-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return {
    ...clean,
    DOWNLOAD_DIR: join(dir, 'downloads'),
    LOG_DIR: join(dir, 'logs'),
    DATA_DIR: join(dir, 'data'),
    ...extra,
  };
}

function serve(args: string[], extra: Record<string, string> = {}): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, 'serve', ...args], {
    cwd: dir,
    env: env(extra),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('harvester serve refuses to start', () => {
  test('on a public address without API_TOKEN (exit 2), naming the fix', () => {
    const result = serve(['--host', '0.0.0.0', '--port', '0']);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /refusing to listen on 0\.0\.0\.0/);
    assert.match(result.stderr, /API_TOKEN/);
    assert.match(result.stderr, /--insecure-public/);
  });

  test('with a bad --port or PORT (exit 2)', () => {
    assert.equal(serve(['--port', '70000']).status, 2);
    const badEnv = serve([], { PORT: 'eighty' });
    assert.equal(badEnv.status, 2);
    assert.match(badEnv.stderr, /PORT="eighty" is invalid/);
  });

  test('when the port is taken (exit 2)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
          cwd: dir,
          env: env(),
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (status) => resolve({ status, stderr }));
      });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`));
    } finally {
      blocker.close();
    }
  });
});

describe('harvester serve', () => {
  test('prints its URL, answers, and stops with exit code 0 on SIGINT', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      cwd: dir,
      env: env({ API_TOKEN: 'serve-cli-token' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /^(http:\/\/127\.0\.0\.1:\d+)\n/m.exec(out);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
    });
    const health = await fetch(`${url}/api/health`);
    assert.equal(health.status, 200);
    assert.equal((await fetch(`${url}/api/jobs`)).status, 401, 'the token from the environment is enforced');
    assert.match(stderr, /token required/);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(stderr, /SIGINT: stopping/);
  });
});
