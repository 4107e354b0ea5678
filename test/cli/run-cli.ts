// Runs the real CLI process (`node bin/harvester.js …`) with a clean environment: only what the
// test passes, plus PATH and HOME, so the developer's own variables never leak into a test.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/harvester.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when stderr has matched `pattern` (for acting mid-run, e.g. sending SIGINT). */
  waitForStderr(pattern: RegExp): Promise<void>;
  result: Promise<CliResult>;
}

export function startCli(
  args: string[],
  options: { env?: Record<string, string>; cwd: string; stdin?: string; timeoutMs?: number },
): CliRun {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(stderr)) w.resolve();
      else waiters.push(w);
    }
  });
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const result = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - started });
    });
  });
  return {
    child,
    result,
    waitForStderr: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stderr)) return resolve();
        waiters.push({ pattern, resolve });
        void result.then(() => reject(new Error(`process ended before stderr matched ${pattern}:\n${stderr}`)));
      }),
  };
}

export function runCli(args: string[], options: Parameters<typeof startCli>[1]): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Fresh, empty working directories below one temporary folder, for the tests of one file. */
export interface Workspaces {
  /** A new directory and an environment with `env` and every folder (downloads, logs, data) inside it. */
  next(env?: Record<string, string>): { cwd: string; env: Record<string, string> };
  /** Removes every directory made. */
  dispose(): void;
}

export function cliWorkspaces(prefix: string): Workspaces {
  const root = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  return {
    next(env = {}) {
      const cwd = join(root, `w${++n}`);
      mkdirSync(cwd, { recursive: true });
      return {
        cwd,
        env: { DOWNLOAD_DIR: join(cwd, 'downloads'), LOG_DIR: join(cwd, 'logs'), DATA_DIR: join(cwd, 'data'), ...env },
      };
    },
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
