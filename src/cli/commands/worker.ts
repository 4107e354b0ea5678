// `harvester worker [--concurrency N] [--metrics-port P]`: a process of the distributed mode
// (REDIS_URL and DATABASE_URL) that takes source runs from the cluster's queues and runs them
// (src/queue/worker.ts). It prints its name (`<host>:<pid>`) on stdout once it takes work. On
// SIGTERM or SIGINT it stops taking runs and drains: the runs it holds end by their deadline at
// the latest, then it exits 0.
import type { Server } from 'node:http';
import { InvalidArgumentError, type Command } from 'commander';
import { describeCluster } from '../../core/config.ts';
import { escapeControlChars } from '../../core/control-chars.ts';
import { ConfigError, EXIT } from '../../core/errors.ts';
import { cliConfig } from '../cli-config.ts';
import type { CliContext } from '../context.ts';
import { exitAbandoningRedis, untilStopSignal } from '../stop-signal.ts';
import { parsePort } from './serve.ts';

interface WorkerFlags {
  concurrency?: number;
  metricsPort?: number;
}

function parseConcurrency(raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 256)
    throw new InvalidArgumentError('expected an integer from 1 to 256');
  return Number(raw);
}

export function registerWorker(program: Command, cli: CliContext): void {
  program
    .command('worker')
    .description('take source runs from the cluster queue (needs REDIS_URL and DATABASE_URL)')
    .option('--concurrency <n>', 'source runs taken at once (overrides WORKER_CONCURRENCY)', parseConcurrency)
    .option('--metrics-port <port>', "serve this worker's Prometheus metrics on 127.0.0.1:<port>/metrics", parsePort)
    .action(async (flags: WorkerFlags) => {
      const config = cliConfig(cli);
      if (config.redisUrl === null || config.databaseUrl === null) {
        throw new ConfigError(
          'harvester worker needs REDIS_URL and DATABASE_URL: the cluster queue and the shared store (see the README, "Running a cluster")',
        );
      }
      // Loaded here, not at the top: every other command would otherwise pay for them at start-up.
      const [{ createServer }, { openEngine }, { startQueueWorker }, { queueSettings }, { workerRegistry }] =
        await Promise.all([
          import('node:http'),
          import('../../jobs/engine.ts'),
          import('../../queue/worker.ts'),
          import('../../queue/intake.ts'),
          import('../../queue/metrics.ts'),
        ]);
      // A worker marks nothing interrupted: a run whose worker died goes back to the queue.
      const engine = await openEngine(config, { interrupt: 'none' });
      let metrics: Server | null = null;
      let drained: boolean;
      try {
        const worker = await startQueueWorker({
          config,
          store: engine.store,
          http: engine.http,
          output: engine.output,
          log: engine.log,
          settings: queueSettings(config),
          concurrency: flags.concurrency ?? config.workerConcurrency,
          notify: (message) => cli.stderr.write(`harvester: ${escapeControlChars(message)}\n`),
        });
        if (flags.metricsPort !== undefined) {
          const registry = workerRegistry(() => worker.gauges());
          metrics = createServer((req, res) => {
            if (req.url !== '/metrics') {
              res.writeHead(404).end();
              return;
            }
            void registry
              .metrics()
              .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
          });
          await new Promise<void>((resolve, reject) => {
            metrics!.once('error', reject);
            metrics!.listen(flags.metricsPort, '127.0.0.1', () => resolve());
          });
          const address = metrics.address();
          const port = typeof address === 'object' && address ? address.port : flags.metricsPort;
          cli.stderr.write(`harvester: worker metrics on http://127.0.0.1:${port}/metrics\n`);
        }
        cli.stderr.write(
          `harvester: worker ${worker.name} (${describeCluster(config)}) ` +
            `takes up to ${worker.gauges().concurrency} source runs at once; ` +
            `if it dies, another worker takes its runs within ${worker.timings.deadWorkerCostMs / 1000} s\n`,
        );
        // The machine-readable line a supervisor or test can wait for.
        cli.stdout.write(`${worker.name}\n`);
        const signal = await untilStopSignal();
        const why = signal === 'disconnect' ? 'the process that started this worker ended' : signal;
        cli.stderr.write(`harvester: ${why}: draining (running source runs end by their deadline)\n`);
        drained = await worker.close();
        cli.exitCode = EXIT.completed;
      } finally {
        metrics?.close();
        await engine.close();
      }
      if (!drained) exitAbandoningRedis(cli);
    });
}
