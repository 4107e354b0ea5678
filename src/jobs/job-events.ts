// Stamps runner events with `job_id`, `ts`, `seq` (from 1 per job, continuing after the stored
// history when a job is resumed) and `run` (which run of the job they belong to) and hands them
// to one sink.
import { runOf, type EventInput, type RunnerEvent } from '../core/events.ts';

export type Emit = (input: EventInput) => RunnerEvent;

export function createEmitter(jobId: string, lastSeq: number, run: number, sink: (event: RunnerEvent) => void): Emit {
  let seq = lastSeq;
  return (input) => {
    const event = { ...input, job_id: jobId, ts: new Date().toISOString(), seq: ++seq, run } as RunnerEvent;
    sink(event);
    return event;
  };
}

/**
 * The number of the run that follows a job's recorded history: 1 for a new job, else one more than
 * the last recorded run (history from before runs were numbered: one per `job_started`).
 */
export function nextRunNumber(history: readonly RunnerEvent[]): number {
  const last = history.at(-1);
  if (last === undefined) return 1;
  if (typeof (last as { run?: unknown }).run === 'number') return runOf(last) + 1;
  return Math.max(1, history.filter((e) => e.type === 'job_started').length) + 1;
}
