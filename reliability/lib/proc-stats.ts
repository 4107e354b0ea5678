// What a running process holds, read from /proc (Linux): resident memory and open file
// descriptors. Used to check that memory "returns to its level" and that nothing leaks.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  /** Resident set size, bytes. */
  rssBytes: number;
  /** Open file descriptors (entries of /proc/<pid>/fd). */
  fds: number;
  /** Threads of the process. */
  threads: number;
}

/** Reads one sample of `pid`; null when the process is gone. */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return { rssBytes: rssKb * 1024, fds, threads };
  } catch {
    return null;
  }
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesised name) is the state; Z is a zombie.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
