// Stamps runner events with `job_id`, `ts` and `seq` (from 1 per job, continuing after the
// stored history when a job is resumed) and hands them to one sink.
import type { EventInput, RunnerEvent } from '../core/events.ts';

export type Emit = (input: EventInput) => RunnerEvent;

export function createEmitter(jobId: string, lastSeq: number, sink: (event: RunnerEvent) => void): Emit {
  let seq = lastSeq;
  return (input) => {
    const event = { ...input, job_id: jobId, ts: new Date().toISOString(), seq: ++seq } as RunnerEvent;
    sink(event);
    return event;
  };
}
