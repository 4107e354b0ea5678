// Who runs a job. Each open store is an owner (a random token plus pid and host); the jobs it
// creates or starts carry the owner and a heartbeat the store refreshes while it is open. At
// start-up `markInterrupted` turns `running` jobs into `interrupted` only when their owner is
// gone, so a second CLI started next to a running one never marks the live job interrupted.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export interface JobOwner {
  token: string;
  pid: number;
  host: string;
}

export function currentOwner(): JobOwner {
  return { token: randomUUID(), pid: process.pid, host: hostname() };
}

/**
 * Refreshes the heartbeat of the jobs a store owns every `everyMs` until the timer is cleared. A
 * missed beat only matters after ownerStaleMs of them, so a failed one waits for the next tick.
 */
export function startHeartbeat(beat: () => Promise<unknown>, everyMs = 5_000): NodeJS.Timeout {
  const timer = setInterval(() => {
    beat().catch(() => {});
  }, everyMs);
  timer.unref();
  return timer;
}

export interface OwnerRow {
  owner_token: string | null;
  owner_pid: number | null;
  owner_host: string | null;
  heartbeat_ms: number | null;
}

/**
 * Whether the process that owns a job is still alive. On this host the pid is probed with signal
 * 0; a pid that exists but whose heartbeat is older than `staleMs` is taken as reused by another
 * process (or hung), so it is gone too. On another host only the heartbeat can tell.
 */
export function ownerAlive(row: OwnerRow, nowMs: number, staleMs: number, host: string = hostname()): boolean {
  if (row.owner_token === null || row.owner_pid === null) return false;
  const fresh = row.heartbeat_ms !== null && nowMs - row.heartbeat_ms <= staleMs;
  if (row.owner_host !== host) return fresh;
  return pidExists(row.owner_pid) && fresh;
}

export function pidExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
