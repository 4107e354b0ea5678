// The name of the process that runs a source run, `<host>:<pid>`: each source's stats carry the
// process that finished it and every process that ran part of it (a worker killed mid-run, then
// the one that took the run again), so an operator can find the machine and its logs.
import { hostname } from 'node:os';

export function processWorkerName(): string {
  return `${hostname()}:${process.pid}`;
}
