// A job service on real parts for tests: the source simulation on port 0, and the engine
// (src/jobs/engine.ts: a SQLite store, the real HTTP client and download log) over download, log
// and data folders in a fresh temp dir.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/core/config.ts';
import type { RunnerEvent } from '../../src/core/events.ts';
import { startSimulation, type Simulation, type SimulationOptions } from '../../src/demo/sim-server.ts';
import { openEngine } from '../../src/jobs/engine.ts';
import type { JobService } from '../../src/jobs/service.ts';
import type { DownloadLog } from '../../src/log/download-log.ts';
import type { Store } from '../../src/store/store.ts';
import type { HttpClient } from '../../src/http/types.ts';

export interface Harness {
  dir: string;
  sim: Simulation;
  config: Config;
  store: Store;
  http: HttpClient;
  log: DownloadLog;
  service: JobService;
  /** Every event the service emitted, in order. */
  events: RunnerEvent[];
  /** Another service over the same folders and store (a restart), with extra environment. */
  restart(env?: Record<string, string>): Promise<Harness>;
  close(): Promise<void>;
}

export async function openHarness(
  options: { sim?: SimulationOptions; env?: Record<string, string>; dir?: string; simulation?: Simulation } = {},
): Promise<Harness> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'harvester-jobs-'));
  const sim = options.simulation ?? (await startSimulation(options.sim));
  const config = loadConfig(
    {
      ...sim.env,
      DOWNLOAD_DIR: join(dir, 'downloads'),
      LOG_DIR: join(dir, 'logs'),
      DATA_DIR: join(dir, 'data'),
      ...options.env,
    },
    {},
  );
  const events: RunnerEvent[] = [];
  const engine = await openEngine(config, { onEvent: (e) => events.push(e) });
  const { store, http, log, jobs: service } = engine;
  let closed = false;
  const harness: Harness = {
    dir,
    sim,
    config,
    store,
    http,
    log,
    service,
    events,
    restart: async (env = {}) => {
      await closeOwn();
      return openHarness({ dir, simulation: sim, env: { ...options.env, ...env } });
    },
    close: async () => {
      await closeOwn();
      if (!options.simulation) await sim.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  async function closeOwn(): Promise<void> {
    if (closed) return;
    closed = true;
    await engine.close();
  }
  return harness;
}

/** Every file under `dir`, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
      else out.push(`${prefix}${name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** Requests a simulated source's media route received. */
export function mediaRequests(sim: Simulation, source: keyof Simulation['requests']): string[] {
  return (sim.requests[source] ?? []).filter((path) => path.startsWith('/__media/'));
}

/** A server that answers every request with HTTP 500 (a source that is down); `onClose` gets its closer. */
export async function failingServer(onClose: (close: () => Promise<void>) => void): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onClose(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
