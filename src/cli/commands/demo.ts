// `harvester demo`: the seed's real-world example, fully offline. A local simulation of the
// seed's five sources answers their real paths; bing_images accepts connections and never
// answers. A real search runs through the real adapters, runner, downloader, store and log:
// four sources finish in about one SOURCE_TIMEOUT, bing_images ends with `Timeout after 3s`,
// and the summary and the log say so.
//
// `harvester demo --cluster` runs the same job in the distributed mode (DATABASE_URL and
// REDIS_URL): a server and two workers it starts itself (../demo-cluster.ts) on queues of its own
// (QUEUE_PREFIX `harvester:demo-<random>`, removed afterwards), so no other worker on that Redis
// takes the demo's source runs and the demo's workers take nobody else's. This process submits and
// follows the job as `harvester search` does, shows which worker ran which source, stops the
// cluster and exits with the job's code.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { describeCluster, envPrefix, loadConfig, readDotenv, VARIABLES } from '../../core/config.ts';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import { SOURCE_IDS, type JobDocument, type JobSpec } from '../../core/types.ts';
import {
  DEMO_CLI_ENV,
  DEMO_CLUSTER_WORKER_CONCURRENCY,
  DEMO_CLUSTER_WORKERS,
  DEMO_HANGING_SOURCE,
  DEMO_LIMIT,
  DEMO_QUERY,
  DEMO_SOURCES,
  startDemoSimulation,
} from '../../demo/scenario.ts';
import type { Engine } from '../../jobs/engine.ts';
import { logSize } from '../../log/log-tail.ts';
import type { CliContext } from '../context.ts';
import type { DemoCluster } from '../demo-cluster.ts';
import { parseDirectory } from '../options.ts';
import { EXIT_CODES_HELP, runJobCommand } from '../run-job.ts';
import { terminalLines } from '../format.ts';

interface DemoFlags {
  out?: string;
  json?: boolean;
  cluster?: boolean;
}

const CLUSTER_HELP =
  '\nWith --cluster (the distributed mode, needs DATABASE_URL and REDIS_URL): the same job on a\n' +
  'server and two `harvester worker` processes the demo starts and stops itself, on queues of its own\n' +
  'under REDIS_URL (QUEUE_PREFIX harvester:demo-<random>, removed afterwards); the job is recorded in\n' +
  "DATABASE_URL's store. Each child's output goes to LOG_DIR/demo-<role>.log.\n";

export function registerDemo(program: Command, cli: CliContext): void {
  program
    .command('demo')
    .description('run a real search offline against simulated sources, one of which hangs')
    .option(
      '--out <dir>',
      'where downloads/, logs/ and data/ go (default: the current directory)',
      parseDirectory('--out'),
    )
    .option('--json', 'print the job document on stdout')
    .option('--cluster', 'run it on a server and two worker processes (needs DATABASE_URL and REDIS_URL)')
    .addHelpText('after', CLUSTER_HELP + EXIT_CODES_HELP)
    .action(async (opts: DemoFlags) => {
      const base = resolve(cli.cwd, opts.out ?? '.');
      // Checked before anything is started or written.
      const services = opts.cluster ? clusterServices(cli) : null;
      const { openEngine } = await import('../../jobs/engine.ts');
      const sim = await startDemoSimulation();
      try {
        // The scenario is fixed: the user's environment and .env (their keys, timeouts, origins)
        // take no part, so the demo shows the same thing on every machine.
        const env: Record<string, string> = {
          ...sim.env,
          ...DEMO_CLI_ENV,
          DOWNLOAD_DIR: join(base, 'downloads'),
          LOG_DIR: join(base, 'logs'),
          DATA_DIR: join(base, 'data'),
          ...services,
        };
        const config = loadConfig(env, {});
        const spec: JobSpec = {
          query: DEMO_QUERY,
          sources: [...DEMO_SOURCES],
          limit: DEMO_LIMIT,
          type: 'image',
          // Every run shows the whole scenario: nothing skipped as already downloaded, no cached
          // answers, and no cool-down of the hanging source after a few demos.
          options: { noArchive: true, noCache: true, force: true },
        };
        cli.stderr.write(
          `Harvester demo: searching "${DEMO_QUERY}" on ${DEMO_SOURCES.length} simulated sources (limit ${DEMO_LIMIT} each, ` +
            `SOURCE_TIMEOUT=${DEMO_CLI_ENV.SOURCE_TIMEOUT}s); ${DEMO_HANGING_SOURCE} accepts connections and never answers.\n\n`,
        );
        const engine = await openEngine(config);
        const logPath = engine.log.path;
        const logStart = await logSize(logPath);
        try {
          cli.exitCode = services
            ? await runOnCluster(cli, engine, spec, env, opts)
            : await runJobCommand(cli, engine, (service) => service.submit(spec), { json: opts.json });
        } finally {
          await engine.close();
        }
        const written = (await readFile(logPath)).subarray(logStart).toString('utf8');
        cli.stderr.write(
          `\nThe download log (${relative(cli.cwd, logPath) || logPath}) of this run:\n${terminalLines(written)}`,
        );
      } finally {
        await sim.close();
      }
    });
}

/**
 * DATABASE_URL and REDIS_URL of the user (environment, then `.env`), and the demo's own queue
 * prefix; nothing else of their configuration. Without both: exit 2, nothing started.
 */
function clusterServices(cli: CliContext): Record<string, string> {
  const dotenv = readDotenv(cli.cwd);
  const pick = (name: string): string => (cli.env[name] ?? dotenv[name] ?? '').trim();
  const [databaseUrl, redisUrl] = [pick('DATABASE_URL'), pick('REDIS_URL')];
  if (databaseUrl === '' || redisUrl === '') {
    const missing = [databaseUrl === '' && 'DATABASE_URL', redisUrl === '' && 'REDIS_URL']
      .filter(Boolean)
      .join(' and ');
    throw new ConfigError(
      `harvester demo --cluster needs DATABASE_URL and REDIS_URL (${missing} not set): the PostgreSQL store and ` +
        "the Redis the demo's server and workers share, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/harvester " +
        'REDIS_URL=redis://127.0.0.1:6379 (see the README, "Running a cluster"). Nothing was started.',
    );
  }
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `harvester:demo-${randomBytes(4).toString('hex')}`,
  };
}

/** The demo job on a cluster of child processes: started, followed, its workers shown, stopped. */
async function runOnCluster(
  cli: CliContext,
  engine: Engine,
  spec: JobSpec,
  env: Record<string, string>,
  opts: DemoFlags,
): Promise<number> {
  const { config } = engine;
  const [{ startDemoCluster }, { dropQueueKeys }, { queueSettings }] = await Promise.all([
    import('../demo-cluster.ts'),
    import('../../queue/keys.ts'),
    import('../../queue/intake.ts'),
  ]);
  await mkdir(config.logDir, { recursive: true });
  // A working directory without `.env`: the children see only the demo's environment.
  const cwd = await mkdtemp(join(tmpdir(), 'harvester-demo-'));
  let cluster: DemoCluster | null = null;
  try {
    cluster = await startDemoCluster({
      env: childEnv(cli.env, env),
      cwd,
      logDir: config.logDir,
      workers: DEMO_CLUSTER_WORKERS,
      workerConcurrency: DEMO_CLUSTER_WORKER_CONCURRENCY,
    });
    const { server, workers } = cluster;
    cli.stderr.write(
      `Cluster: server ${server.line} (pid ${server.pid}) and ${workers.length} workers ` +
        `${workers.map((w) => w.line).join(', ')} (${DEMO_CLUSTER_WORKER_CONCURRENCY} source runs each), ` +
        `${describeCluster(config)}; ` +
        `their output: ${workers
          .concat(server)
          .map((p) => relative(cli.cwd, p.logFile) || p.logFile)
          .join(', ')}\n\n`,
    );
    let jobId: string | null = null;
    const code = await runJobCommand(
      cli,
      engine,
      async (service) => {
        const doc = await service.submit(spec);
        jobId = doc.job_id;
        cli.stderr.write(`Follow it in the web UI while it runs: ${server.line}/#/jobs/${doc.job_id}\n\n`);
        return doc;
      },
      { json: opts.json },
    );
    const doc = jobId === null ? null : await engine.jobs.get(jobId);
    if (doc !== null && !cli.pipeClosed) cli.stderr.write(whoRanWhat(doc, cluster));
    return code;
  } finally {
    if (cluster !== null) {
      const stopped = await cluster.stop();
      const how = stopped.map((p) => `${p.role} ${p.signal ?? `exit ${p.code}`}`).join(', ');
      if (!cli.pipeClosed) cli.stderr.write(`\nStopped the cluster (SIGTERM): ${how}.\n`);
    }
    await dropQueueKeys(queueSettings(config)).catch((error: unknown) =>
      cli.stderr.write(
        `harvester: could not remove the demo's queues (${config.queuePrefix}:*): ${errorMessage(error)}\n`,
      ),
    );
    await rm(cwd, { recursive: true, force: true });
  }
}

/** Which worker finished each source, and every process that ran part of the job. */
function whoRanWhat(doc: JobDocument, cluster: DemoCluster): string {
  const label = (name: string | null): string => {
    const i = cluster.workers.findIndex((w) => w.line === name);
    return name === null ? '-' : i < 0 ? name : `worker ${i + 1} (${name})`;
  };
  const width = Math.max(...doc.sources.map((s) => s.length));
  const rows = doc.sources.map((s) => `  ${s.padEnd(width)}  ${label(doc.results.source_stats[s]?.worker ?? null)}`);
  const all = doc.results.workers ?? [];
  return `\nWhich worker ran which source (${all.length} worker processes took part):\n` + `${rows.join('\n')}\n`;
}

/**
 * The children's environment: the user's (PATH, HOME, proxies, PG* variables) without any
 * Harvester setting, then the demo's.
 */
function childEnv(user: CliContext['env'], demo: Record<string, string>): Record<string, string> {
  const ours = new Set<string>(Object.keys(VARIABLES));
  for (const id of SOURCE_IDS) ours.add(`${envPrefix(id)}_TIMEOUT`).add(`${envPrefix(id)}_BASE_URL`);
  const kept = Object.entries(user).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && !ours.has(entry[0]),
  );
  return { ...Object.fromEntries(kept), ...demo };
}
