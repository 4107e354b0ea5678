// Redis going away is one event for an operator, not hundreds: every connection, queue and
// worker of a process part retries on its own and each retry fails with an error. A reporter
// turns those into two lines — when Redis is lost and when it is back — and lets other errors
// through to be reported one by one.
import type { Redis } from 'ioredis';
import { errorMessage } from '../core/errors.ts';

/** Error codes and messages that mean "Redis cannot be reached", not "a command went wrong". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const CONNECTION_MESSAGES = /^(Connection is closed|Stream isn't writeable|connect ETIMEDOUT)/;

export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

export interface RedisOutageReporter {
  /** For `error` events: a connection error opens an outage (reported once) and returns true; any other error returns false. */
  error(error: unknown): boolean;
  /** Watches a connection: its errors count, its `ready` ends an outage. */
  watch(redis: Redis): void;
}

/** `report` gets one line when Redis is lost and one when it is back, naming `what` lost it (not before it first connected). */
export function redisOutageReporter(what: string, report: (message: string) => void): RedisOutageReporter {
  let lostAt: number | null = null;
  // Before the first connection, failing to connect is the start-up check's to report (redisReachable).
  let connected = false;
  const reporter: RedisOutageReporter = {
    error(error) {
      if (!isConnectionError(error)) return false;
      if (connected && lostAt === null) {
        lostAt = Date.now();
        report(`${what}: Redis unreachable (${errorMessage(error)}); retrying until it is back`);
      }
      return true;
    },
    watch(redis) {
      redis.on('error', (error) => reporter.error(error));
      redis.on('ready', () => {
        connected = true;
        if (lostAt === null) return;
        report(`${what}: Redis reachable again after ${((Date.now() - lostAt) / 1000).toFixed(1)} s`);
        lostAt = null;
      });
    },
  };
  return reporter;
}
