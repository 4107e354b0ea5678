// A job run as a BullMQ flow (docs/ARCHITECTURE.md, "Queue intake"). The intake puts one entry
// in the `start` queue, whose global concurrency is MAX_CONCURRENT_JOBS; the worker that takes
// it starts the job and adds the flow — the job as parent (`finish` queue), one child per source
// run (`runs` queue) carrying its deadline — and holds the slot until the parent has ended the
// job. Entry ids derive from the job id and run number, so a start taken again after its worker
// died finds the flow it already added instead of adding a second one.
import type { RunKey } from '../jobs/run-keys.ts';

/** A job run waiting for a slot. */
export interface StartData {
  jobId: string;
  /** The job's run number (1, then one more per resume or retry). */
  run: number;
  keys: RunKey[];
  resumed: boolean;
  /** The job's `duration_ms` before this run (resume, retry). */
  priorDurationMs: number;
}

/** One source run (a child of the flow). */
export interface RunData {
  jobId: string;
  run: number;
  query: number;
  source: RunKey['source'];
  /** The source run's deadline, ms from its start (SOURCE_TIMEOUT or `<ID>_TIMEOUT` of the intake). */
  timeoutMs: number;
}

/** The flow's parent: ends the job. */
export interface FinishData {
  jobId: string;
  run: number;
  keys: RunKey[];
  priorDurationMs: number;
  /** When the run started, ms since the epoch. */
  startedAtMs: number;
}

export function runEntryId(flow: string, key: RunKey): string {
  return `${flow}.${key.query}.${key.source}`;
}
