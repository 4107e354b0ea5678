// Starting and stopping the server process: configuration (and, with --demo, the simulated
// sources), the listen policy, the web UI build, the engine (src/jobs/engine.ts: store, download
// log, job service; jobs a dead server left running or queued are marked interrupted, and
// resumed here), the app.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { envPrefix, loadConfig, type Config } from '../core/config.ts';
import { escapeControlChars } from '../core/control-chars.ts';
import { ConfigError, errorMessage } from '../core/errors.ts';
import { SOURCE_IDS, type SourceId } from '../core/types.ts';
import { DEMO_SERVER_ENV_DEFAULTS, DEMO_SOURCES, startDemoSimulation } from '../demo/scenario.ts';
import type { Simulation } from '../demo/sim-server.ts';
import { openEngine, type Engine } from '../jobs/engine.ts';
import { HISTORY_PRUNE_EVERY_MS, pruneHistory } from '../jobs/history-retention.ts';
import type { JobService } from '../jobs/service.ts';
import type { Store } from '../store/store.ts';
import { buildApp } from './app.ts';
import type { AppDeps } from './context.ts';
import { rememberInterrupted, takeInterrupted } from './interrupted-jobs.ts';

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The simulated sources, plus any source the environment points somewhere with `<ID>_BASE_URL` (a mirror, a test server). */
function demoOffered(env: Record<string, string | undefined>): SourceId[] {
  return SOURCE_IDS.filter((id) => DEMO_SOURCES.includes(id) || (env[`${envPrefix(id)}_BASE_URL`] ?? '') !== '');
}

export interface ServeOptions {
  env: Record<string, string | undefined>;
  dotenv?: Record<string, string | undefined>;
  host?: string;
  port?: number;
  demo?: boolean;
  /** Distributed mode: also run a queue worker in this process (`serve --worker`). */
  worker?: boolean;
  /** Listen on a non-loopback address without API_TOKEN anyway. */
  insecurePublic?: boolean;
  /** Directory of the built UI (default web-dist/ of the package, built when missing or stale); null: no UI. */
  webRoot?: string | null;
  /** Where progress lines go (listening address, resumed jobs, warnings). */
  stderr: Writable;
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** Keep-alive interval of event streams, ms. */
  heartbeatMs?: number;
  /** Request time limits, connection and event-stream caps (defaults in app.ts). */
  limits?: Pick<AppDeps, 'requestTimeoutMs' | 'headersTimeoutMs' | 'maxConnections' | 'maxStreamsPerClient'>;
}

export interface RunningServer {
  /** `http://127.0.0.1:8080`. */
  url: string;
  config: Config;
  jobs: JobService;
  store: Store;
  simulation: Simulation | null;
  /** Ids of the jobs resumed at start. */
  resumed: string[];
  /**
   * Stops accepting requests, interrupts running jobs (resumable), closes everything. Idempotent.
   * Resolves false when its queue worker (`--worker`) stopped waiting for an unreachable Redis:
   * the process must then exit rather than wait for the queue client's reconnect timers.
   */
  close(): Promise<boolean>;
}

/** Whether an IP address (bracketed or not) is a loopback address. Names are not addresses: resolve them first. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h) || /^(0{1,4}:){7}0{0,3}1$/.test(h);
  return false;
}

/** Every address a name resolves to (the system resolver, as listen() uses). */
export async function resolveAll(name: string): Promise<string[]> {
  return (await lookup(name, { all: true, verbatim: true })).map((entry) => entry.address);
}

/**
 * Refuses to expose the API beyond this machine without a token, unless told to (exit 2). A name
 * counts by what it resolves to — `x.localhost` may resolve anywhere — and only when every address
 * it resolves to is loopback.
 */
export async function checkListenPolicy(
  host: string,
  apiToken: string | null,
  insecurePublic: boolean,
  resolve: (name: string) => Promise<string[]> = resolveAll,
): Promise<void> {
  if (apiToken !== null || insecurePublic) return;
  let addresses = [host];
  if (isIP(host.replace(/^\[|\]$/g, '')) === 0) {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new ConfigError(`cannot listen on ${host}: the name does not resolve (${errorMessage(error)})`);
    }
  }
  const exposed = addresses.filter((address) => !isLoopbackHost(address));
  if (addresses.length > 0 && exposed.length === 0) return;
  const what =
    addresses.length === 1 && addresses[0] === host ? host : `${host} (${addresses.join(', ') || 'no address'})`;
  throw new ConfigError(
    `refusing to listen on ${what}, which is not a loopback address, without API_TOKEN: anyone who can reach it ` +
      'could start downloads and read saved files. Set API_TOKEN (at least 8 characters), listen on 127.0.0.1, ' +
      'or pass --insecure-public to do it anyway.',
  );
}

async function ensureWebBuilt(stderr: Writable): Promise<string | null> {
  const script = pathToFileURL(join(PACKAGE_ROOT, 'scripts', 'build-web.mjs')).href;
  try {
    const web = (await import(script)) as {
      WEB_DIST_DIR: string;
      buildWeb(options?: { outDir?: string }): Promise<{ ms: number }>;
      webBuildIsStale(outDir?: string): Promise<boolean>;
    };
    if (await web.webBuildIsStale(web.WEB_DIST_DIR)) {
      const { ms } = await web.buildWeb({ outDir: web.WEB_DIST_DIR });
      stderr.write(`harvester: built the web UI in ${ms} ms\n`);
    }
    return web.WEB_DIST_DIR;
  } catch (error) {
    stderr.write(`harvester: the web UI could not be built (${errorMessage(error)}); the API works without it\n`);
    return join(PACKAGE_ROOT, 'web-dist');
  }
}

/** Stops every job (they end `interrupted`) and records which, for the next start to resume. */
async function interruptJobs(jobs: JobService, dataDir: string): Promise<void> {
  const cut: string[] = [];
  const unsubscribe = jobs.subscribe((event) => {
    if (event.type === 'job_finished' && event.status === 'interrupted') cut.push(event.job_id);
  });
  try {
    await jobs.shutdown({ drainMs: 0 });
  } finally {
    unsubscribe();
  }
  await rememberInterrupted(dataDir, cut);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { stderr } = options;
  // Everything opened so far, closed in the reverse order by `stop`.
  let simulation: Simulation | null = null;
  let engine: Engine | null = null;
  let worker: { close(): Promise<boolean> } | null = null;
  let clean = true;
  let built: Awaited<ReturnType<typeof buildApp>> | null = null;
  let dataDir = '';
  let pruner: NodeJS.Timeout | null = null;

  const stop = async (): Promise<boolean> => {
    const steps: [string, (() => Promise<void> | void) | null][] = [
      ['history pruning', pruner ? () => clearInterval(pruner!) : null],
      // Stop reporting ready first; then interrupt the jobs (resumable; their event streams get
      // the final `job_finished`), then close the app and its remaining connections.
      ['readiness', built ? () => built!.setReady(false) : null],
      ['worker', worker ? async () => void (clean = await worker!.close()) : null],
      ['jobs', engine ? () => interruptJobs(engine!.jobs, dataDir) : null],
      ['app', built ? () => built!.app.close() : null],
      ['engine', engine ? () => engine!.close() : null],
      ['simulation', simulation ? () => simulation!.close() : null],
    ];
    for (const [what, step] of steps) {
      if (!step) continue;
      try {
        await step();
      } catch (error) {
        stderr.write(`harvester: while closing the ${what}: ${errorMessage(error)}\n`);
      }
    }
    return clean;
  };

  try {
    let env = options.env;
    if (options.demo) {
      simulation = await startDemoSimulation();
      const defaults = Object.fromEntries(
        Object.entries(DEMO_SERVER_ENV_DEFAULTS).filter(
          ([name]) => options.env[name] === undefined && options.dotenv?.[name] === undefined,
        ),
      );
      env = { ...options.env, ...defaults, ...simulation.env };
    }
    const config = loadConfig(env, options.dotenv ?? {});
    if (options.host !== undefined) config.host = options.host;
    if (options.port !== undefined) config.port = options.port;
    await checkListenPolicy(config.host, config.apiToken, options.insecurePublic ?? false);

    const webRoot = options.webRoot === undefined ? await ensureWebBuilt(stderr) : options.webRoot;

    const cluster = config.redisUrl !== null;
    if (options.worker && !cluster)
      throw new ConfigError('serve --worker needs REDIS_URL and DATABASE_URL (the distributed mode)');
    // In the distributed mode the queue owns its jobs: a run whose process died goes back to the
    // queue, so nothing is marked interrupted or resumed here.
    const notify = (message: string): void => void stderr.write(`harvester: ${escapeControlChars(message)}\n`);
    engine = await openEngine(config, { notify });
    const { jobs, store } = engine;
    const queue = cluster ? await import('../queue/index.ts') : null;
    if (queue !== null && options.worker) {
      const open = engine;
      const started = await queue.startQueueWorker({
        config,
        store,
        http: open.http,
        output: open.output,
        log: open.log,
        settings: queue.queueSettings(config),
        concurrency: config.workerConcurrency,
        notify,
      });
      worker = started;
    }
    dataDir = config.dataDir;
    // The engine pruned the history at open; a server running for days prunes it again hourly.
    pruner = setInterval(() => {
      pruneHistory(store, config).catch((error: unknown) =>
        stderr.write(`harvester: cannot prune the job history: ${errorMessage(error)}\n`),
      );
    }, HISTORY_PRUNE_EVERY_MS).unref();
    // Resumed below: jobs whose server died (the engine marked those still running or queued in
    // the store) and jobs an earlier server interrupted when it stopped.
    const stopped = [];
    for (const id of cluster ? [] : await takeInterrupted(config.dataDir)) {
      if ((await store.jobs.get(id))?.status === 'interrupted') stopped.push(id);
    }
    const interrupted = [...new Set([...engine.interrupted, ...stopped])];
    built = await buildApp({
      config,
      jobs,
      store,
      output: engine.output(config.downloadDir),
      http: engine.http,
      logFile: engine.log.path,
      webRoot,
      demo: options.demo ?? false,
      logLevel: options.logLevel ?? 'warn',
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      ...options.limits,
      ...(options.demo ? { offeredSources: demoOffered(options.env) } : {}),
      queueState: queue !== null && queue.isQueueIntake(jobs) ? () => jobs.queueState() : null,
    });

    const resumed: string[] = [];
    for (const id of interrupted) {
      try {
        await jobs.resume(id);
        resumed.push(id);
      } catch (error) {
        stderr.write(`harvester: job ${id} could not be resumed: ${errorMessage(error)}\n`);
      }
    }
    if (resumed.length > 0)
      stderr.write(`harvester: resumed ${resumed.length} interrupted job(s): ${resumed.join(', ')}\n`);

    try {
      await built.app.listen({ host: config.host, port: config.port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(
        `cannot listen on ${config.host}:${config.port}: ${code === 'EADDRINUSE' ? 'the address is in use (set PORT or --port)' : errorMessage(error)}`,
      );
    }
    const address = built.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const hostForUrl = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;

    let closing: Promise<boolean> | null = null;
    return {
      url: `http://${hostForUrl}:${port}`,
      config,
      jobs,
      store,
      simulation,
      resumed,
      close: () => (closing ??= stop()),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
