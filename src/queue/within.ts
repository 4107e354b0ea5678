// A wait on Redis that cannot last forever: the queue's connections wait for a reconnect rather
// than fail (src/queue/keys.ts), which is right for work and wrong for a health check, a scrape
// or a shutdown, which must answer or end while Redis is away.

/** How long each last Redis command of a close may take before the closing part stops waiting, ms. */
export const REDIS_CLOSE_MS = 2_000;

/** `promise`, or a rejection with `message` when it has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Whether `promise` settled (either way) within `ms`. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return within(
    promise.then(
      () => true,
      () => true,
    ),
    ms,
    'late',
  ).catch(() => false);
}
