// Runs the real CLI process (`node bin/harvester.js …`) the way a user does, with a hard
// wall-clock cap so the harness itself can never hang, and samples its memory while it runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './paths.ts';
import { sampleProcess } from './proc-stats.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, start to exit, ms. */
  wallMs: number;
  /** Highest resident memory seen while it ran, bytes (sampled every 50 ms). */
  peakRssBytes: number;
  /** True when the harness had to kill it at `killAfterMs`. */
  killedByHarness: boolean;
}

export interface CliOptions {
  /** Environment added to a minimal base (PATH, HOME). The parent's environment is not inherited. */
  env?: Record<string, string>;
  cwd: string;
  /** Kill with SIGKILL after this long (the harness's own guard), ms. */
  killAfterMs?: number;
  /** Called once the process has spawned (for SIGKILL at a random moment). */
  onSpawn?: (child: ChildProcess) => void;
  stdin?: string;
}

/** A base environment that does not leak the harness's own variables into the CLI. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return env;
}

export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...baseEnv(), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let peakRssBytes = 0;
  let killedByHarness = false;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin!.end(options.stdin ?? '');
  const sampler = setInterval(() => {
    const s = child.pid ? sampleProcess(child.pid) : null;
    if (s && s.rssBytes > peakRssBytes) peakRssBytes = s.rssBytes;
  }, 50);
  const guard = setTimeout(() => {
    killedByHarness = true;
    child.kill('SIGKILL');
  }, options.killAfterMs ?? 120_000);
  options.onSpawn?.(child);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearInterval(sampler);
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - started, peakRssBytes, killedByHarness });
    });
  });
}

/** Parses the last JSON document a `--json` command printed on stdout. */
export function parseJsonOutput<T>(stdout: string): T {
  const text = stdout.trim();
  try {
    return JSON.parse(text) as T;
  } catch {
    // Some commands may print a line before the document; take the outermost object.
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    if (start >= 0 && end > start) return JSON.parse(text.slice(start, end + 1)) as T;
    throw new Error(`no JSON document on stdout: ${text.slice(0, 200)}`);
  }
}
