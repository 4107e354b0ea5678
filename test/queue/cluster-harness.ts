// A cluster of real processes for tests: `harvester serve` and `harvester worker` processes on one
// shared store (a PostgreSQL database of the test's own), one Redis database of the test's own,
// shared download and log folders, and the source simulation.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunnerEvent } from '../../src/core/events.ts';
import { startSimulation, type Simulation, type SimulationOptions } from '../../src/demo/sim-server.ts';
import { BIN } from '../cli/run-cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg-database.ts';
import { leaseRedisDb } from '../helpers/redis.ts';

export interface ClusterProcess {
  child: ChildProcess;
  /** The first stdout line (the server's URL, the worker's name). */
  line: string;
  pid: number;
  output(): string;
  /** SIGTERM (or `signal`) and wait for the exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface Cluster {
  dir: string;
  downloadDir: string;
  env: Record<string, string>;
  sim: Simulation;
  /** `env` adds to (or replaces) the cluster's environment for this process alone. */
  serve(args?: string[], env?: Record<string, string>): Promise<ClusterProcess>;
  worker(args?: string[], env?: Record<string, string>): Promise<ClusterProcess>;
  /** Runs the CLI to its end. */
  cli(args: string[], timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function openCluster(
  options: { sim?: SimulationOptions; env?: Record<string, string> } = {},
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-cluster-'));
  const processes = new Set<ClusterProcess>();
  let db: TestDatabase | null = null;
  let redis: Awaited<ReturnType<typeof leaseRedisDb>> | null = null;
  const sim = await startSimulation(options.sim);
  try {
    db = await createTestDatabase();
    redis = await leaseRedisDb();
  } catch (error) {
    await sim.close();
    await db?.drop();
    throw error;
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    ...sim.env,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    DOWNLOAD_DIR: join(dir, 'downloads'),
    LOG_DIR: join(dir, 'logs'),
    DATA_DIR: join(dir, 'data'),
    ...options.env,
  };
  const start = (args: string[], pattern: RegExp, own: Record<string, string> = {}): Promise<ClusterProcess> => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...env, ...own },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return new Promise<ClusterProcess>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = pattern.exec(out);
        if (m === null) return;
        const proc: ClusterProcess = {
          child,
          line: m[1]!,
          pid: child.pid!,
          output: () => err,
          async stop(signal = 'SIGTERM') {
            processes.delete(proc);
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        };
        processes.add(proc);
        resolve(proc);
      });
      void exited.then((code) => reject(new Error(`harvester ${args.join(' ')} exited early (${code}): ${err}`)));
    });
  };
  return {
    dir,
    downloadDir: env.DOWNLOAD_DIR!,
    env,
    sim,
    serve: (args = [], own = {}) => start(['serve', '--port', '0', ...args], /^(http:\/\/\S+:\d+)\n/m, own),
    worker: (args = [], own = {}) => start(['worker', ...args], /^(\S+:\d+)\n/m, own),
    cli(args, timeoutMs = 90_000) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      return new Promise((resolve) =>
        child.once('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        }),
      );
    },
    async close() {
      for (const p of [...processes]) await p.stop('SIGKILL');
      await sim.close();
      await redis?.release();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Follows a job's event stream on a server until `job_finished`, calling `onEvent` with each;
 * resolves with every event received.
 */
export async function followEvents(
  serverUrl: string,
  jobId: string,
  onEvent: (event: RunnerEvent) => void = () => {},
  timeoutMs = 90_000,
): Promise<RunnerEvent[]> {
  const res = await fetch(`${serverUrl}/api/jobs/${jobId}/events`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok || res.body === null) throw new Error(`events: HTTP ${res.status}`);
  const events: RunnerEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data === '') continue;
      const event = JSON.parse(data) as RunnerEvent;
      events.push(event);
      onEvent(event);
      if (event.type === 'job_finished') return events;
    }
  }
  return events;
}

/** Every file below `root`, relative, `/`-separated. */
export function filesBelow(root: string, rel = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(join(root, rel));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = rel === '' ? name : `${rel}/${name}`;
    return statSync(join(root, path)).isDirectory() ? filesBelow(root, path) : [path];
  });
}

export async function postJob(serverUrl: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${serverUrl}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { job_id?: string };
  if (res.status !== 202 || json.job_id === undefined)
    throw new Error(`POST /api/jobs: ${res.status} ${JSON.stringify(json)}`);
  return json.job_id;
}
