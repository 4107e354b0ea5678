// Runs the real server process (`harvester serve`) and talks to it over HTTP, as a client of
// the API would: submit jobs, poll them, read metrics, stop it with a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN } from './paths.ts';
import { baseEnv } from './cli.ts';
import type { JobDocument } from '../../src/core/types.ts';

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  origin: string;
  port: number;
  /** Everything it wrote so far. */
  output(): string;
  /** Resolves with the exit code and signal once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  stop(
    signal?: NodeJS.Signals,
    graceMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** A port that was free a moment ago (the server gets it with --port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface StartServerOptions {
  env: Record<string, string>;
  cwd: string;
  extraArgs?: string[];
  /** How long to wait for /api/health, ms. */
  readyTimeoutMs?: number;
}

export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--host', '127.0.0.1', '--port', String(port), ...(options.extraArgs ?? [])],
    {
      cwd: options.cwd,
      env: { ...baseEnv(), RATE_LIMIT_PER_MINUTE: '0', ...options.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-200_000)));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-200_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the server exited before it was ready:\n${out.slice(-2000)}`);
    try {
      const r = await fetch(`${origin}/api/health`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `the server did not become ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${out.slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    pid: child.pid!,
    origin,
    port,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      const started = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, ms: performance.now() - started };
    },
  };
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export async function api<T = unknown>(
  origin: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  const r = await fetch(origin + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: r.status, body: parsed as T, text };
}

const ENDED = new Set(['completed', 'partial', 'failed', 'cancelled', 'interrupted']);

/** Polls GET /api/jobs/:id until the job has ended; null when `timeoutMs` passes first. */
export async function waitForJob(
  origin: string,
  jobId: string,
  timeoutMs: number,
  pollMs = 100,
): Promise<JobDocument | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api<JobDocument>(origin, 'GET', `/api/jobs/${encodeURIComponent(jobId)}`);
    if (r.status === 200 && ENDED.has(r.body.status)) return r.body;
    if (Date.now() > deadline) return null;
    await new Promise((res) => setTimeout(res, pollMs));
  }
}

/** Every job the server knows (GET /api/jobs, following pages). */
export async function listAllJobs(origin: string): Promise<{ job_id: string; status: string }[]> {
  const all: { job_id: string; status: string }[] = [];
  for (let offset = 0; ; offset += 100) {
    const r = await api<unknown>(origin, 'GET', `/api/jobs?limit=100&offset=${offset}`);
    if (r.status !== 200) throw new Error(`GET /api/jobs answered ${r.status}: ${r.text.slice(0, 200)}`);
    const page = (Array.isArray(r.body) ? r.body : ((r.body as { jobs?: unknown[] }).jobs ?? [])) as {
      job_id: string;
      status: string;
    }[];
    all.push(...page);
    if (page.length < 100) return all;
  }
}

/** Values of a Prometheus text exposition, by metric name (first sample of each). */
export async function readMetrics(origin: string): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  try {
    const r = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (r.status !== 200) return values;
    for (const line of (await r.text()).split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m && !values.has(m[1]!)) values.set(m[1]!, Number(m[3]));
    }
  } catch {}
  return values;
}
