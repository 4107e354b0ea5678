// How a long-running face (`serve`, `worker`) waits to be told to stop: the first SIGINT or
// SIGTERM. Its listeners are removed then, so a second signal gets node's default (exit at once).

/** Resolves with the first SIGINT or SIGTERM the process receives. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
