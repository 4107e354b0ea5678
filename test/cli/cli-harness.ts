// Runs the real CLI process (`node bin/harvester.js …`) against a temp directory and checks
// that disk and database agree. Shared by the store's CLI tests (test/cli/store-*.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { JobDocument } from '../../src/core/types.ts';

export const BIN = fileURLToPath(new URL('../../bin/harvester.js', import.meta.url));

export interface CliEnv {
  dir: string;
  dataDir: string;
  downloadDir: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** A temp working directory with DATA_DIR, DOWNLOAD_DIR and LOG_DIR inside and `extra` variables. */
export function cliEnv(extra: Record<string, string> = {}): CliEnv {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-cli-store-'));
  const dataDir = join(dir, 'data');
  const downloadDir = join(dir, 'downloads');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    DATA_DIR: dataDir,
    DOWNLOAD_DIR: downloadDir,
    LOG_DIR: join(dir, 'logs'),
    ...extra,
  };
  return { dir, dataDir, downloadDir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], e: CliEnv): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: e.dir,
    env: e.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & {
    output: { stdout: string; stderr: string };
  };
  child.output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (child.output.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (child.output.stderr += d.toString()));
  return child;
}

export function exited(child: ChildProcess & { output: { stdout: string; stderr: string } }): Promise<CliResult> {
  return new Promise((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void =>
      resolve({ code, signal, stdout: child.output.stdout, stderr: child.output.stderr });
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
    else child.once('close', done);
  });
}

export async function runCli(args: string[], e: CliEnv, timeoutMs = 60_000): Promise<CliResult> {
  const child = spawnCli(args, e);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await exited(child);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `predicate` every 15 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Runs a read-only query on the CLI's database; undefined while it or its tables do not exist yet. */
export function queryDb<T>(e: CliEnv, sql: string, ...params: unknown[]): T[] | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(join(e.dataDir, 'harvester.db'), { readonly: true, fileMustExist: true });
    return db.prepare(sql).all(...params) as T[];
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

/** Every file under `root`, relative with forward slashes. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const abs = join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else out.push(relative(root, abs).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** Media files: everything but manifests and metadata sidecars. */
export function mediaFiles(root: string): string[] {
  return listFiles(root).filter((p) => !/(^|\/)manifest\.(json|csv)$/.test(p) && !p.endsWith('.json'));
}

/**
 * Disk and database agree for `doc` (the only job writing to `e.downloadDir`): no `.part`, every
 * listed file on disk with its size and SHA-256, no media file unlisted, no file twice.
 */
export function assertDiskAgrees(e: CliEnv, doc: JobDocument): void {
  const all = listFiles(e.downloadDir);
  assert.deepEqual(
    all.filter((p) => p.endsWith('.part')),
    [],
    'no .part left',
  );
  const listed = doc.results.files.map((f) => f.path).sort();
  assert.deepEqual(mediaFiles(e.downloadDir), listed, 'files on disk are exactly the files listed');
  for (const f of doc.results.files) {
    const bytes = readFileSync(join(e.downloadDir, f.path));
    assert.equal(bytes.length, f.bytes, `${f.path}: size`);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, `${f.path}: sha256`);
  }
  assert.equal(
    new Set(doc.results.files.map((f) => f.candidate_id)).size,
    doc.results.files.length,
    'no candidate saved twice',
  );
  assert.equal(
    new Set(doc.results.files.map((f) => f.sha256)).size,
    doc.results.files.length,
    'no content saved twice',
  );
  const rows = queryDb<{ path: string }>(e, `SELECT path FROM files WHERE job_id = ? ORDER BY path`, doc.job_id) ?? [];
  assert.deepEqual(
    rows.map((r) => r.path),
    listed,
    'database rows are exactly the files listed',
  );
}
