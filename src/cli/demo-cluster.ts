// The small cluster of `harvester demo --cluster`: one `harvester serve` and two `harvester worker`
// child processes on the user's PostgreSQL and Redis (docs/ARCHITECTURE.md, "The distributed
// mode"). Each child runs in its own process group with an IPC channel: a Ctrl-C in the terminal
// reaches only the demo, which cancels the job and lets the workers end it, and when the demo
// process ends however it ends (an error, a second Ctrl-C, a kill) the channel closes and the
// children stop by themselves (src/cli/stop-signal.ts). Their own output goes to a file each.
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../core/errors.ts';

/** The `harvester` entry point, the same from src/cli/ and dist/cli/. */
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'harvester.js');
/** How long a child may take to say it is ready (the first start may build the web UI), ms. */
const READY_TIMEOUT_MS = 60_000;
/** How long a child may take to exit after SIGTERM before it is killed, ms (a worker drains within SOURCE_TIMEOUT). */
const STOP_GRACE_MS = 30_000;

export interface DemoClusterOptions {
  /** The children's whole environment (nothing of the user's configuration). */
  env: Record<string, string>;
  /** Their working directory: one without a `.env`, so only `env` configures them. */
  cwd: string;
  /** Where each child's stderr goes: `<logDir>/demo-<role>.log`. */
  logDir: string;
  workers: number;
  workerConcurrency: number;
}

export interface DemoProcess {
  role: string;
  pid: number;
  /** Its first stdout line: the server's URL, a worker's name (`<host>:<pid>`). */
  line: string;
  logFile: string;
}

export interface StoppedProcess {
  role: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DemoCluster {
  server: DemoProcess;
  workers: DemoProcess[];
  /** SIGTERM to every child, then waits for each (SIGKILL after a grace period). Idempotent. */
  stop(): Promise<StoppedProcess[]>;
}

interface Child {
  role: string;
  child: ChildProcess;
  log: FileHandle;
  logFile: string;
  exited: Promise<StoppedProcess>;
}

function launch(role: string, args: string[], options: DemoClusterOptions, log: FileHandle, logFile: string): Child {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', log.fd, 'ipc'],
    detached: true,
  });
  const exited = new Promise<StoppedProcess>((resolve) => {
    child.once('exit', (code, signal) => resolve({ role, code, signal }));
    child.once('error', () => resolve({ role, code: null, signal: null }));
  });
  return { role, child, log, logFile, exited };
}

/** Resolves with the child's first stdout line; rejects when it exits, fails or takes too long first. */
function firstLine(c: Child): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`the demo's ${c.role} did not start within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    c.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      resolve(out.slice(0, end).trim());
    });
    c.child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start the demo's ${c.role}: ${errorMessage(error)}`));
    });
    void c.exited.then(async ({ code, signal }) => {
      clearTimeout(timer);
      const said = await readFile(c.logFile, 'utf8').catch(() => '');
      reject(
        new Error(`the demo's ${c.role} exited (${signal ?? code}) before it was ready: ${said.trim().slice(-800)}`),
      );
    });
  });
}

export async function startDemoCluster(options: DemoClusterOptions): Promise<DemoCluster> {
  const roles = [
    { role: 'server', args: ['serve', '--host', '127.0.0.1', '--port', '0'] },
    ...Array.from({ length: options.workers }, (_, i) => ({
      role: `worker-${i + 1}`,
      args: ['worker', '--concurrency', String(options.workerConcurrency)],
    })),
  ];
  const children: Child[] = [];
  // Whatever ends this process, the children are told at once (they also stop when the IPC channel closes).
  const onExit = (): void => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
  };
  process.on('exit', onExit);
  let stopping: Promise<StoppedProcess[]> | null = null;
  const stop = (): Promise<StoppedProcess[]> =>
    (stopping ??= (async () => {
      const all = await Promise.all(
        children.map(async (c) => {
          if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
          const timer = setTimeout(() => c.child.kill('SIGKILL'), STOP_GRACE_MS);
          try {
            return await c.exited;
          } finally {
            clearTimeout(timer);
            c.child.stdout?.destroy();
            if (c.child.connected) c.child.disconnect();
            await c.log.close().catch(() => {});
          }
        }),
      );
      process.off('exit', onExit);
      return all;
    })());
  try {
    for (const { role, args } of roles) {
      const logFile = join(options.logDir, `demo-${role}.log`);
      const log = await open(logFile, 'w');
      children.push(launch(role, args, options, log, logFile));
    }
    const lines = await Promise.all(children.map((c) => firstLine(c)));
    const described = children.map((c, i) => ({
      role: c.role,
      pid: c.child.pid!,
      line: lines[i]!,
      logFile: c.logFile,
    }));
    return { server: described[0]!, workers: described.slice(1), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
