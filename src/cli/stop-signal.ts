// How a long-running face (`serve`, `worker`) waits to be told to stop: the first SIGINT or
// SIGTERM. Its listeners are removed then, so a second signal gets node's default (exit at once).
// A process started with an IPC channel (by `harvester demo --cluster`) also stops when that
// channel closes: its parent has ended, however it ended, and nobody is left to stop it.
import { EXIT } from '../core/errors.ts';
import type { CliContext } from './context.ts';

/** Resolves with the first SIGINT or SIGTERM the process receives, or `disconnect` when its parent's IPC channel closes. */
export function untilStopSignal(): Promise<NodeJS.Signals | 'disconnect'> {
  return new Promise((resolve) => {
    const supervised = process.connected;
    const stop = (signal: NodeJS.Signals | 'disconnect'): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (supervised) process.off('disconnect', disconnected);
      resolve(signal);
    };
    const disconnected = (): void => stop('disconnect');
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (supervised) process.on('disconnect', disconnected);
  });
}

/**
 * Ends a face that stopped while Redis was unreachable: it stopped waiting for Redis, but the
 * queue client's reconnect timers would keep the process alive for as long as Redis stays away.
 * The runs it could not hand back return to the queue when their locks expire. Exits 1.
 */
export function exitAbandoningRedis(cli: Pick<CliContext, 'stderr'>): never {
  cli.stderr.write('harvester: stopped without reaching Redis: exiting now\n');
  process.exit(EXIT.failed);
}
