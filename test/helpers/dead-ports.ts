// Two ways a service can be unreachable, for start-up tests of the distributed mode: a port that
// accepts connections and never answers (a firewall that drops, a hung server) and a port that
// refuses them (nothing listening).
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { startCli, type CliResult } from '../cli/run-cli.ts';

export interface DeadPorts {
  silentPort: number;
  refusedPort: number;
  close(): Promise<void>;
}

export async function openDeadPorts(): Promise<DeadPorts> {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => void sockets.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const refused = createServer();
  await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
  const refusedPort = (refused.address() as { port: number }).port;
  await new Promise<void>((resolve) => refused.close(() => resolve()));
  return {
    silentPort: (silent.address() as { port: number }).port,
    refusedPort,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    },
  };
}

export type StartUpRun = CliResult & { args: string[]; port: number; silent: boolean; what: string };

/**
 * Runs `worker`, `serve` and `search` in `cwd` against both dead ports (`env` for a port), one
 * command at a time, its silent and refusing cases together so that both pay the same start-up.
 */
export async function startUpAgainst(
  dead: DeadPorts,
  cwd: string,
  env: (port: number) => Record<string, string>,
): Promise<StartUpRun[]> {
  const runs: StartUpRun[] = [];
  for (const args of [['worker'], ['serve', '--port', '0'], ['search', 'nature', '--sources', 'openverse']]) {
    runs.push(
      ...(await Promise.all(
        [dead.silentPort, dead.refusedPort].map(async (port) => {
          const silent = port === dead.silentPort;
          const result = await startCli(args, {
            cwd,
            env: {
              DATA_DIR: join(cwd, 'data'),
              LOG_DIR: join(cwd, 'logs'),
              DOWNLOAD_DIR: join(cwd, 'downloads'),
              ...env(port),
            },
            timeoutMs: 60_000,
          }).result;
          return { ...result, args, port, silent, what: `${args[0]} on ${silent ? 'a silent' : 'a refusing'} port` };
        }),
      )),
    );
  }
  return runs;
}
